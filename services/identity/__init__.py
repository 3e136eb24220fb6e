"""identity: tenants, org tree, users, roles, delegations, login and tokens."""
