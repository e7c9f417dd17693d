"""Authentication: OAuth2 client credentials, JWT access tokens, organisations and clients."""
