// Package repotest holds tests about the repository as a whole: its layout and conventions rather
// than any one package's behaviour.
package repotest
