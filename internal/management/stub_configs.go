package management

// registerConfigs is replaced by the configs family's own file.
func (a *API) registerConfigs() {}
