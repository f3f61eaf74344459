package lathe

import "fmt"

// FormatBytes writes a byte count for people with a binary unit: 512 B,
// 1.5 KiB, 3.2 GiB. The CLI, the studio and job logs all use it, so a size
// reads the same wherever it is shown.
func FormatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
