package escpos

// The built-in printer profiles as data. The ESC t numbering differs per
// vendor, so each family has its own table. The numbers follow the vendors'
// programming manuals as collected in the escpos-printer-db capabilities
// data (receipt-print-hq/escpos-printer-db: profiles "default" for Epson,
// "SP2000"/"TSP600" for Star in ESC/POS emulation, "POS-5890" for the
// Zjiang/Xprinter clone firmware); see NOTICE-escpos-printer-db.md. Only pages
// this package has a table for are listed. The order is the encoder's
// preference: the first page is selected at init, and a character is printed
// from the first page that has it, so CP858 (the euro) comes before CP1252.

// epsonPages is Epson's ESC t numbering (TM-T88, TM-T20 and compatibles).
var epsonPages = []CodePage{
	{0, "cp437"}, {19, "cp858"}, {18, "cp852"}, {17, "cp866"}, {13, "cp857"}, {14, "cp737"},
	{36, "cp862"}, {37, "cp864"}, {32, "cp720"}, {16, "cp1252"}, {45, "cp1250"}, {46, "cp1251"},
	{47, "cp1253"}, {48, "cp1254"}, {49, "cp1255"}, {50, "cp1256"}, {39, "iso8859-2"},
	{15, "iso8859-7"}, {40, "iso8859-15"}, {2, "cp850"}, {3, "cp860"}, {4, "cp863"}, {5, "cp865"},
}

// starPages is Star's numbering in ESC/POS emulation (TSP100/TSP650/TSP800,
// SP700): 16 there is CP851, not CP1252, and the euro is CP858 at 4.
var starPages = []CodePage{
	{0, "cp437"}, {4, "cp858"}, {5, "cp852"}, {10, "cp866"}, {12, "cp857"}, {15, "cp737"},
	{13, "cp862"}, {14, "cp864"}, {32, "cp1252"}, {33, "cp1250"}, {34, "cp1251"},
	{6, "cp860"}, {8, "cp863"}, {9, "cp865"},
}

// clonePages is the numbering of the POS-5890 / Xprinter clone firmware:
// its second table, from 50 up, where CP858 is 53 (16..31 differ between
// clones: 21 is Latvian on some).
var clonePages = []CodePage{
	{0, "cp437"}, {53, "cp858"}, {54, "cp852"}, {59, "cp866"}, {61, "cp857"}, {64, "cp737"},
	{62, "cp862"}, {63, "cp864"}, {93, "cp720"}, {71, "cp1252"}, {72, "cp1250"}, {73, "cp1251"},
	{90, "cp1253"}, {91, "cp1254"}, {92, "cp1256"}, {55, "cp860"}, {57, "cp863"}, {58, "cp865"},
}

var builtinProfiles = []Profile{
	{
		Name: "generic-58mm", Model: "Generic 58 mm ESC/POS printer (no cutter, code page 437 only)",
		PaperMM: 58, Dots: 384, DPI: 203, Columns: 32,
		// Cheap 58 mm printers often lack GS ( k: QR codes go out as raster.
		NativeQR:  false,
		CodePages: []CodePage{{0, "cp437"}},
		// Many cannot report status at all; those that can answer DLE EOT.
		TransmitStatus: true,
		MaxStripRows:   64,
	},
	{
		Name: "generic-80mm", Model: "Generic 80 mm ESC/POS printer (Epson numbering)",
		PaperMM: 80, Dots: 576, DPI: 203, Columns: 48,
		NativeQR:       true,
		CodePages:      []CodePage{{0, "cp437"}, {19, "cp858"}, {18, "cp852"}, {17, "cp866"}, {16, "cp1252"}, {2, "cp850"}},
		TransmitStatus: true, Cutter: true, PartialCut: true, Drawer: true,
		MaxStripRows: 128,
	},
	{
		Name: "epson-tm-t88vi", Model: "Epson TM-T88VI",
		PaperMM: 80, Dots: 512, DPI: 180, Columns: 42,
		NativeQR:  true,
		CodePages: epsonPages,
		ASB:       true, TransmitStatus: true, Cutter: true, PartialCut: true, Drawer: true,
		MaxStripRows: 256,
	},
	{
		Name: "epson-tm-t20iii", Model: "Epson TM-T20III",
		PaperMM: 80, Dots: 576, DPI: 203, Columns: 48,
		NativeQR:  true,
		CodePages: epsonPages,
		ASB:       true, TransmitStatus: true, Cutter: true, PartialCut: true, Drawer: true,
		MaxStripRows: 256,
	},
	{
		Name: "star-tsp650-escpos", Model: "Star TSP650II / TSP100 in ESC/POS emulation",
		PaperMM: 80, Dots: 576, DPI: 203, Columns: 48,
		// QR through the emulation is not reliable on every firmware: raster.
		NativeQR:       false,
		CodePages:      starPages,
		TransmitStatus: true, Cutter: true, PartialCut: true, Drawer: true,
		MaxStripRows: 128,
	},
	{
		Name: "pos-5890", Model: "POS-5890 / Zjiang 58 mm clone (Chinese firmware, no cutter)",
		PaperMM: 58, Dots: 384, DPI: 203, Columns: 32,
		NativeQR:  false,
		CodePages: clonePages,
		CJK:       true, CJKEncoding: "gb18030",
		TransmitStatus: true,
		MaxStripRows:   32,
	},
	{
		Name: "xprinter-xp-58", Model: "Xprinter XP-58 (Chinese firmware, no cutter)",
		PaperMM: 58, Dots: 384, DPI: 203, Columns: 32,
		// The common XP-58 firmware has no GS ( k; raster QR it is.
		NativeQR:  false,
		CodePages: clonePages,
		CJK:       true, CJKEncoding: "gb18030",
		TransmitStatus: true,
		MaxStripRows:   32,
	},
	{
		Name: "xprinter-xp-80", Model: "Xprinter XP-80C (Chinese firmware, cutter, drawer)",
		PaperMM: 80, Dots: 576, DPI: 203, Columns: 48,
		NativeQR:  true,
		CodePages: clonePages,
		CJK:       true, CJKEncoding: "gb18030",
		TransmitStatus: true, Cutter: true, PartialCut: true, Drawer: true,
		MaxStripRows: 64,
	},
}
