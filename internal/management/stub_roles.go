package management

// registerRoles is replaced by the roles family's own file.
func (a *API) registerRoles() {}
