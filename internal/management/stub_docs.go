package management

// registerDocs is replaced by the docs family's own file.
func (a *API) registerDocs() {}
