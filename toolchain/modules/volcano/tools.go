//go:build tools

// The scheduler is upstream's main package as is; this import keeps it in the module graph.
package tools

import _ "volcano.sh/volcano/cmd/scheduler"
