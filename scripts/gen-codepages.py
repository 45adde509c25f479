import sys
pages = [("cp720","CP720 (Arabic, DOS)"),("cp737","CP737 (Greek, DOS)"),("cp857","CP857 (Turkish, DOS)"),("cp864","CP864 (Arabic, DOS)")]
out = []
out.append("// Code generated from the CPython codecs of the same names (the IBM/Microsoft tables); DO NOT EDIT.\n")
out.append("// Regenerate with scripts/gen-codepages.py.\n\npackage escpos\n")
for name, title in pages:
    out.append(f"// {name}High is the upper half (0x80..0xFF) of {title}; 0xFFFD marks an undefined byte.")
    out.append(f"var {name}High = [128]rune{{")
    row=[]
    for b in range(0x80,0x100):
        try: c = bytes([b]).decode(name); r = ord(c)
        except UnicodeDecodeError: r = 0xFFFD
        if len(c)!=1 or 0x80<=r<0xa0: r=0xFFFD
        row.append(f"0x{r:04X},")
        if len(row)==8:
            out.append("\t"+" ".join(row)); row=[]
    out.append("}\n")
sys.stdout.write("\n".join(out))
