"""services/identity: unified identity (统一身份认证): who a caller of the API is and what they may
see and do. `Caller` is what every entry point works with; `Authenticator` is the port the API
authenticates through (credentials live outside the immutable log); `Accounts` (accounts.py)
implements it and administers accounts on the `CredentialStore` port (credentials.py)."""
