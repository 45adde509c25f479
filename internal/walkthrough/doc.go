// Package walkthrough tests the README's walk-through: it runs the shell blocks marked
// <!-- walkthrough: ROLE --> (operator, technician, customer, cashier) as written, with the real
// settlementd, posagent and wallet binaries, and checks what they print.
package walkthrough
