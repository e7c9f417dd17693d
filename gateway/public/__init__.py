"""The anonymous public reporting channel: a server-rendered form, JSON endpoint, held queue."""
