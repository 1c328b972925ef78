enum SyncProtocolPlaceholder {}
