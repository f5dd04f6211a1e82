// Package admin will hold the mqadmin commands, one file per command group,
// printing what upstream's mqadmin prints. The dashboard uses the same facade.
//
// Not built yet: there is no mqadmin.
package admin
