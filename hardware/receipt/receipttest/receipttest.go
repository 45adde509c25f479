// Package receipttest holds the sample receipts behind the golden files in
// testdata/receipts, so that the receipt, printer and simulator tests all
// print the same ones.
package receipttest

import (
	"path/filepath"
	"runtime"

	"github.com/stillpay/stillpay/hardware/escpos"
	"github.com/stillpay/stillpay/hardware/receipt"
)

// Sale is an approved offline sale: title, items, a long item name that
// wraps, accented text, a euro amount, the total and the transaction QR.
func Sale() receipt.Receipt {
	return receipt.New(
		receipt.Title("Café Stillpay"),
		receipt.Center("12 rue de la Paix, Paris"),
		receipt.Center("Terminal T-0042"),
		receipt.Rule(),
		receipt.Pair("Espresso", "2.50"),
		receipt.Pair("Croissant au beurre", "1.80"),
		receipt.Pair("Tarte aux pommes (part généreuse, maison)", "4.20"),
		receipt.DoubleRule(),
		receipt.Total("TOTAL", "€ 8.50"),
		receipt.Pair("Paid with", "stillpay (offline)"),
		receipt.Pair("Approval", "OFF-7K2Q9"),
		receipt.Feed(1),
		receipt.QR("stillpay:tx:T-0042:000129"),
		receipt.Center("Merci et à bientôt !"),
	)
}

// Chinese is a sale on a Chinese printer: CJK item names (double-byte
// characters, two columns each) next to Latin text.
func Chinese() receipt.Receipt {
	return receipt.New(
		receipt.Title("静付咖啡"),
		receipt.Center("终端 T-0077"),
		receipt.Rule(),
		receipt.Pair("拿铁 Latte", "¥ 28.00"),
		receipt.Pair("抹茶蛋糕", "¥ 32.00"),
		receipt.Rule(),
		receipt.Total("合计 TOTAL", "¥ 60.00"),
		receipt.QR("stillpay:tx:T-0077:000003"),
		receipt.Center("谢谢惠顾"),
	)
}

// IntlChinese and IntlEuro are lines of Intl that every profile's golden
// receipt must print exactly where the profile can (the independent check
// decodes them back).
const (
	IntlEuro    = "€ 12.40"
	IntlChinese = "谢谢惠顾 拿铁"
)

// Intl is a receipt in several scripts: the euro sign, a Chinese line,
// Polish, Turkish, Greek and Cyrillic, so that each profile's golden file
// shows which code page (or replacement) it uses for each.
func Intl() receipt.Receipt {
	return receipt.New(
		receipt.Title("Stillpay"),
		receipt.Pair("Kawa Łódź", "3.10"),
		receipt.Pair("Çay İstanbul ğş", "2.80"),
		receipt.Pair("Καφές", "3.50"),
		receipt.Pair("Чай", "3.00"),
		receipt.Text(IntlChinese),
		receipt.DoubleRule(),
		receipt.Total("TOTAL", IntlEuro),
		receipt.QR("stillpay:tx:T-0099:000042"),
	)
}

// Golden is one golden file pair: a receipt printed for a profile.
type Golden struct {
	Name    string // file base name in testdata/receipts
	Profile string
	Receipt receipt.Receipt
}

// Goldens lists every golden receipt: the sale on each built-in profile
// (native QR and raster QR, 32, 42 and 48 columns, code pages with and
// without the euro sign), the Chinese sale on the CJK printers, and Intl on
// every profile.
func Goldens() []Golden {
	g := []Golden{
		{"sale-generic-58mm", "generic-58mm", Sale()},
		{"sale-generic-80mm", "generic-80mm", Sale()},
		{"sale-epson-tm-t88vi", "epson-tm-t88vi", Sale()},
		{"sale-epson-tm-t20iii", "epson-tm-t20iii", Sale()},
		{"sale-xprinter-xp-58", "xprinter-xp-58", Sale()},
		{"chinese-xprinter-xp-58", "xprinter-xp-58", Chinese()},
		{"sale-star-tsp650-escpos", "star-tsp650-escpos", Sale()},
		{"sale-pos-5890", "pos-5890", Sale()},
		{"chinese-pos-5890", "pos-5890", Chinese()},
	}
	for _, p := range escpos.ProfileNames() {
		g = append(g, Golden{"intl-" + p, p, Intl()})
	}
	return g
}

// Dir is the absolute path of testdata/receipts.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "testdata", "receipts")
}

// Paths returns the .bin and .txt golden files of g.
func (g Golden) Paths() (bin, txt string) {
	base := filepath.Join(Dir(), g.Name)
	return base + ".bin", base + ".txt"
}
