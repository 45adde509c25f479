package pgstore

// ScreenSQL exposes the screening query to the external benchmark (EXPLAIN with $SCREEN_EXPLAIN=1).
var ScreenSQL = screenSQL
