package schedule

import (
	"strings"

	"github.com/latheml/lathe"
)

// windowsZones maps the Windows time zone names Azure ML writes in
// trigger.time_zone to the IANA zone of the same rules (the zone CLDR
// names for the Windows zone's main territory).
var windowsZones = map[string]string{
	"dateline standard time":          "Etc/GMT+12",
	"utc-11":                          "Etc/GMT+11",
	"hawaiian standard time":          "Pacific/Honolulu",
	"alaskan standard time":           "America/Anchorage",
	"pacific standard time (mexico)":  "America/Tijuana",
	"pacific standard time":           "America/Los_Angeles",
	"us mountain standard time":       "America/Phoenix",
	"mountain standard time (mexico)": "America/Mazatlan",
	"mountain standard time":          "America/Denver",
	"central america standard time":   "America/Guatemala",
	"central standard time":           "America/Chicago",
	"central standard time (mexico)":  "America/Mexico_City",
	"canada central standard time":    "America/Regina",
	"sa pacific standard time":        "America/Bogota",
	"eastern standard time":           "America/New_York",
	"eastern standard time (mexico)":  "America/Cancun",
	"us eastern standard time":        "America/Indiana/Indianapolis",
	"venezuela standard time":         "America/Caracas",
	"paraguay standard time":          "America/Asuncion",
	"atlantic standard time":          "America/Halifax",
	"central brazilian standard time": "America/Cuiaba",
	"sa western standard time":        "America/La_Paz",
	"pacific sa standard time":        "America/Santiago",
	"newfoundland standard time":      "America/St_Johns",
	"e. south america standard time":  "America/Sao_Paulo",
	"argentina standard time":         "America/Argentina/Buenos_Aires",
	"sa eastern standard time":        "America/Cayenne",
	"greenland standard time":         "America/Godthab",
	"montevideo standard time":        "America/Montevideo",
	"utc-02":                          "Etc/GMT+2",
	"azores standard time":            "Atlantic/Azores",
	"cape verde standard time":        "Atlantic/Cape_Verde",
	"utc":                             "UTC",
	"coordinated universal time":      "UTC",
	"gmt standard time":               "Europe/London",
	"greenwich standard time":         "Atlantic/Reykjavik",
	"morocco standard time":           "Africa/Casablanca",
	"w. europe standard time":         "Europe/Berlin",
	"central europe standard time":    "Europe/Budapest",
	"romance standard time":           "Europe/Paris",
	"central european standard time":  "Europe/Warsaw",
	"w. central africa standard time": "Africa/Lagos",
	"jordan standard time":            "Asia/Amman",
	"gtb standard time":               "Europe/Bucharest",
	"middle east standard time":       "Asia/Beirut",
	"egypt standard time":             "Africa/Cairo",
	"e. europe standard time":         "Europe/Chisinau",
	"south africa standard time":      "Africa/Johannesburg",
	"fle standard time":               "Europe/Kiev",
	"israel standard time":            "Asia/Jerusalem",
	"kaliningrad standard time":       "Europe/Kaliningrad",
	"arabic standard time":            "Asia/Baghdad",
	"turkey standard time":            "Europe/Istanbul",
	"arab standard time":              "Asia/Riyadh",
	"belarus standard time":           "Europe/Minsk",
	"russian standard time":           "Europe/Moscow",
	"e. africa standard time":         "Africa/Nairobi",
	"iran standard time":              "Asia/Tehran",
	"arabian standard time":           "Asia/Dubai",
	"azerbaijan standard time":        "Asia/Baku",
	"georgian standard time":          "Asia/Tbilisi",
	"caucasus standard time":          "Asia/Yerevan",
	"afghanistan standard time":       "Asia/Kabul",
	"west asia standard time":         "Asia/Tashkent",
	"pakistan standard time":          "Asia/Karachi",
	"india standard time":             "Asia/Kolkata",
	"sri lanka standard time":         "Asia/Colombo",
	"nepal standard time":             "Asia/Kathmandu",
	"central asia standard time":      "Asia/Almaty",
	"bangladesh standard time":        "Asia/Dhaka",
	"myanmar standard time":           "Asia/Yangon",
	"se asia standard time":           "Asia/Bangkok",
	"n. central asia standard time":   "Asia/Novosibirsk",
	"china standard time":             "Asia/Shanghai",
	"north asia standard time":        "Asia/Krasnoyarsk",
	"singapore standard time":         "Asia/Singapore",
	"w. australia standard time":      "Australia/Perth",
	"taipei standard time":            "Asia/Taipei",
	"tokyo standard time":             "Asia/Tokyo",
	"korea standard time":             "Asia/Seoul",
	"cen. australia standard time":    "Australia/Adelaide",
	"aus central standard time":       "Australia/Darwin",
	"e. australia standard time":      "Australia/Brisbane",
	"aus eastern standard time":       "Australia/Sydney",
	"west pacific standard time":      "Pacific/Port_Moresby",
	"tasmania standard time":          "Australia/Hobart",
	"vladivostok standard time":       "Asia/Vladivostok",
	"central pacific standard time":   "Pacific/Guadalcanal",
	"new zealand standard time":       "Pacific/Auckland",
	"utc+12":                          "Etc/GMT-12",
	"fiji standard time":              "Pacific/Fiji",
	"tonga standard time":             "Pacific/Tongatapu",
	"samoa standard time":             "Pacific/Apia",
}

// ZoneName returns the IANA name of a trigger's time zone: "" and UTC are
// UTC, a Windows name (as Azure ML writes it) is mapped, and a name with a
// slash is taken as IANA. Anything else is lathe.EINVALID.
func ZoneName(name string) (string, error) {
	n := strings.TrimSpace(name)
	if n == "" {
		return "UTC", nil
	}
	if z, ok := windowsZones[strings.ToLower(n)]; ok {
		return z, nil
	}
	if strings.Contains(n, "/") && !strings.Contains(n, "..") && !strings.HasPrefix(n, "/") {
		return n, nil
	}
	return "", lathe.Errorf(lathe.EINVALID, "time zone %q is not known; give an IANA name such as Europe/Paris or America/Los_Angeles, or a Windows name such as Pacific Standard Time", clip(name))
}
