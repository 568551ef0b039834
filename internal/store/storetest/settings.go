package storetest

import (
	"testing"

	"github.com/gatehouse-auth/gatehouse/internal/store"
)

func testSettings(t *testing.T, s store.Store) {
	ctx := t.Context()

	_, err := s.GetSetting(ctx, "signInExperience")
	wantNotFound(t, err)

	must(t, s.PutSetting(ctx, "signInExperience", []byte(`{"color":{"primaryColor":"#5D34F2"}}`)))
	must(t, s.PutSetting(ctx, "other", []byte(`[1,2,3]`)))
	got, err := s.GetSetting(ctx, "signInExperience")
	must(t, err)
	wantEqual(t, "setting", string(got), `{"color":{"primaryColor":"#5D34F2"}}`)

	must(t, s.PutSetting(ctx, "signInExperience", []byte(`{"color":{}}`)))
	got, err = s.GetSetting(ctx, "signInExperience")
	must(t, err)
	wantEqual(t, "replaced setting", string(got), `{"color":{}}`)

	got, err = s.GetSetting(ctx, "other")
	must(t, err)
	wantEqual(t, "untouched setting", string(got), `[1,2,3]`)
}
