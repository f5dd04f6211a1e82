package admin

// statsCommands: statsAll (not built yet).
func statsCommands() []*Command { return nil }
