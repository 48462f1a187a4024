"""wagate: what the API and the runners share (statuses, commands, store, queues, config, auth)."""
