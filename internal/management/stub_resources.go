package management

// registerResources is replaced by the resources family's own file.
func (a *API) registerResources() {}
