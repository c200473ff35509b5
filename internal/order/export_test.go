package order

// SetRefineRows sets how many index rows a page's offset may walk before the
// span it falls in is cut into days (0: always cut); it returns the undo.
func SetRefineRows(n float64) func() {
	old := refineRows
	refineRows = n
	return func() { refineRows = old }
}
