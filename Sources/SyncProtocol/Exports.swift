// The session module is this module's vocabulary (frames, errors, summaries): whoever imports the
// transport gets it too.
@_exported import SyncSession
