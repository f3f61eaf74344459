package web

import "html/template"

// icon returns a small inline SVG icon for a sidebar entry, drawn with the
// current text colour and hidden from screen readers (the label names it).
func icon(name string) template.HTML {
	var d string
	switch name {
	case "home":
		d = `<path d="M2.5 7.5 8 3l5.5 4.5V13a.5.5 0 0 1-.5.5H10v-4H6v4H3a.5.5 0 0 1-.5-.5z"/>`
	case "data":
		d = `<ellipse cx="8" cy="4" rx="5" ry="2"/><path d="M3 4v8c0 1.1 2.2 2 5 2s5-.9 5-2V4M3 8c0 1.1 2.2 2 5 2s5-.9 5-2"/>`
	case "jobs":
		d = `<rect x="2" y="3" width="12" height="10" rx="1.5"/><path d="m5 6.5 2 1.5-2 1.5M8.5 10H11"/>`
	case "schedules":
		d = `<circle cx="8" cy="8" r="5.5"/><path d="M8 4.8V8l2.2 1.4"/>`
	case "experiments":
		d = `<path d="M6 2.5h4M7 2.5v4L3.2 12.6A.9.9 0 0 0 4 14h8a.9.9 0 0 0 .8-1.4L9 6.5v-4M4.8 10h6.4"/>`
	case "models":
		d = `<path d="M8 2 13.5 5v6L8 14l-5.5-3V5zM2.5 5 8 8l5.5-3M8 8v6"/>`
	case "endpoints":
		d = `<circle cx="8" cy="8" r="5.5"/><path d="M2.5 8h11M8 2.5c1.6 1.5 2.3 3.3 2.3 5.5S9.6 12 8 13.5C6.4 12 5.7 10.2 5.7 8S6.4 4 8 2.5"/>`
	case "monitors":
		d = `<path d="M1.5 8.5h3l1.5-4 3 8 1.5-4h4"/>`
	case "audit":
		d = `<path d="M8 1.8 13 3.8v3.7c0 3-2.1 5.4-5 6.7-2.9-1.3-5-3.7-5-6.7V3.8z"/><path d="m5.8 8 1.6 1.6L10.5 6.5"/>`
	case "settings":
		d = `<path d="M2.5 4.5h6M11.5 4.5h2M2.5 11.5h2M7.5 11.5h6"/><circle cx="10" cy="4.5" r="1.5"/><circle cx="6" cy="11.5" r="1.5"/>`
	case "folder":
		d = `<path d="M1.5 4.5a1 1 0 0 1 1-1h3.3l1.5 1.5h6.2a1 1 0 0 1 1 1v6.5a1 1 0 0 1-1 1h-11a1 1 0 0 1-1-1z"/>`
	case "file":
		d = `<path d="M4 1.5h5.5L13 5v9a.5.5 0 0 1-.5.5h-8.5a.5.5 0 0 1-.5-.5v-12a.5.5 0 0 1 .5-.5z"/><path d="M9.5 1.5V5H13"/>`
	default:
		return ""
	}
	return template.HTML(`<svg class="icon" viewBox="0 0 16 16" width="16" height="16" fill="none" stroke="currentColor" stroke-width="1.3" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false">` + d + `</svg>`)
}
