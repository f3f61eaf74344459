package lathe

// MaxNameLen bounds every user-chosen resource name.
const MaxNameLen = 255

// ValidateName checks a resource name (workspace, user, data asset, model ...)
// against the rules Azure ML applies: 1-255 characters, starting with a letter
// or digit, then letters, digits, '-', '_' or '.'. The kind ("workspace") names
// the thing in the error message. The rules also rule out path traversal.
func ValidateName(kind, name string) error {
	if name == "" {
		return Errorf(EINVALID, "%s name is empty; use 1-%d characters: letters, digits, '-', '_' or '.'", kind, MaxNameLen)
	}
	if len(name) > MaxNameLen {
		return Errorf(EINVALID, "%s name is %d characters long; the limit is %d", kind, len(name), MaxNameLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if i == 0 && !alnum {
			return Errorf(EINVALID, "%s name %q must start with a letter or digit", kind, truncate(name, 80))
		}
		if !alnum && c != '-' && c != '_' && c != '.' {
			return Errorf(EINVALID, "%s name %q has %q at position %d; use letters, digits, '-', '_' or '.'", kind, truncate(name, 80), rune(c), i)
		}
	}
	return nil
}
