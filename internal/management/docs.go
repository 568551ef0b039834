package management

import (
	"net/http"
	"strconv"
	"strings"
)

func (a *API) registerDocs() {
	a.handle("GET", "/api/swagger.json", "GetSwaggerJson", 200, "This OpenAPI document", a.swagger)
}

// swagger serves an OpenAPI 3 document generated from the route table that
// also registers the handlers, so it lists exactly what the server serves.
func (a *API) swagger(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, a.OpenAPI())
	return nil
}

// OpenAPI returns the API's OpenAPI 3 document.
func (a *API) OpenAPI() map[string]any {
	errorResponse := map[string]any{"description": "Error", "content": map[string]any{
		"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}}
	paths := map[string]map[string]any{}
	for _, rt := range a.Routes() {
		op := map[string]any{
			"operationId": rt.OperationID,
			"summary":     rt.Summary,
			"tags":        []string{tagOf(rt.Path)},
			"responses": map[string]any{
				strconv.Itoa(rt.Success): map[string]any{"description": "Success"},
				"default":                errorResponse,
			},
		}
		var params []any
		for _, p := range pathParams(rt.Path) {
			params = append(params, map[string]any{"name": p, "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if publicPaths[rt.Path] {
			op["security"] = []any{}
		}
		if paths[rt.Path] == nil {
			paths[rt.Path] = map[string]any{}
		}
		paths[rt.Path][strings.ToLower(rt.Method)] = op
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{
			"title":       "Gatehouse Management API",
			"version":     "1",
			"description": "Logto-compatible Management API. Authenticate with a client_credentials token for resource https://default.logto.app/api with scope all.",
		},
		"paths": paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{"bearerAuth": map[string]any{"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
			"schemas": map[string]any{"Error": map[string]any{
				"type":     "object",
				"required": []string{"code", "message"},
				"properties": map[string]any{
					"code": map[string]any{"type": "string"}, "message": map[string]any{"type": "string"}, "data": map[string]any{},
				},
			}},
		},
		"security": []any{map[string]any{"bearerAuth": []any{}}},
	}
}

// tagOf groups operations by the first path segment after /api.
func tagOf(path string) string {
	seg, _, _ := strings.Cut(strings.TrimPrefix(path, "/api/"), "/")
	return seg
}
