package storetest

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/gatehouse-auth/gatehouse/internal/id"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

func fullUser() store.User {
	n := id.New(8)
	return store.User{
		ID:                id.New(id.UserLength),
		Username:          "user_" + n,
		PrimaryEmail:      n + "@example.com",
		PrimaryPhone:      "+1555" + n,
		Name:              "Ada Lovelace",
		Avatar:            "https://example.com/ada.png",
		Profile:           json.RawMessage(`{"givenName":"Ada","familyName":"Lovelace","address":{"country":"UK"}}`),
		CustomData:        json.RawMessage(`{"plan":"pro"}`),
		Identities:        json.RawMessage(`{"github":{"userId":"42","details":{"login":"ada"}}}`),
		PasswordDigest:    "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
		PasswordAlgorithm: "Argon2id",
		IsSuspended:       true,
		LastSignInAt:      base + 50,
		CreatedAt:         base,
		UpdatedAt:         base + 10,
	}
}

func testUsers(t *testing.T, s store.Store) {
	ctx := t.Context()

	t.Run("round trip of every field", func(t *testing.T) {
		u := fullUser()
		must(t, s.CreateUser(ctx, &u))
		got, err := s.GetUser(ctx, u.ID)
		must(t, err)
		wantEqual(t, "user", *got, u)
	})

	t.Run("zero values", func(t *testing.T) {
		u := store.User{ID: id.New(id.UserLength), CreatedAt: base, UpdatedAt: base}
		must(t, s.CreateUser(ctx, &u))
		got, err := s.GetUser(ctx, u.ID)
		must(t, err)
		wantJSON(t, "profile", got.Profile, `{}`)
		wantJSON(t, "custom data", got.CustomData, `{}`)
		wantJSON(t, "identities", got.Identities, `{}`)
		got.Profile, got.CustomData, got.Identities = nil, nil, nil
		wantEqual(t, "user", *got, u)
	})

	t.Run("users without identifiers do not conflict", func(t *testing.T) {
		for range 3 {
			u := store.User{Name: "anonymous"}
			must(t, s.CreateUser(ctx, &u))
			if u.ID == "" || u.CreatedAt == 0 || u.UpdatedAt != u.CreatedAt {
				t.Fatalf("id %q created %d updated %d: want id and times filled in", u.ID, u.CreatedAt, u.UpdatedAt)
			}
		}
	})

	t.Run("conflicts", func(t *testing.T) {
		u := fullUser()
		must(t, s.CreateUser(ctx, &u))

		dupID := fullUser()
		dupID.ID = u.ID
		wantConflict(t, s.CreateUser(ctx, &dupID), "id")

		dupName := fullUser()
		dupName.Username = upper(u.Username)
		wantConflict(t, s.CreateUser(ctx, &dupName), "username")

		dupEmail := fullUser()
		dupEmail.PrimaryEmail = upper(u.PrimaryEmail)
		wantConflict(t, s.CreateUser(ctx, &dupEmail), "primary_email")

		dupPhone := fullUser()
		dupPhone.PrimaryPhone = u.PrimaryPhone
		wantConflict(t, s.CreateUser(ctx, &dupPhone), "primary_phone")

		other := fullUser()
		must(t, s.CreateUser(ctx, &other))
		other.Username = upper(u.Username)
		wantConflict(t, s.UpdateUser(ctx, &other), "username")
	})

	t.Run("invalid JSON", func(t *testing.T) {
		u := store.User{ID: id.New(id.UserLength), Profile: json.RawMessage(`not json`)}
		if err := s.CreateUser(ctx, &u); err == nil {
			t.Fatal("created a user with an invalid JSON profile")
		}
	})

	t.Run("not found", func(t *testing.T) {
		_, err := s.GetUser(ctx, "missing")
		wantNotFound(t, err)
		u := fullUser()
		wantNotFound(t, s.UpdateUser(ctx, &u))
		wantNotFound(t, s.DeleteUser(ctx, "missing"))
	})

	t.Run("update", func(t *testing.T) {
		u := fullUser()
		must(t, s.CreateUser(ctx, &u))
		updated := store.User{
			ID:                u.ID,
			Username:          "", // cleared: frees the name for others
			PrimaryEmail:      "new_" + u.PrimaryEmail,
			PrimaryPhone:      "",
			Name:              "Ada King",
			Avatar:            "",
			Profile:           json.RawMessage(`{"nickname":"ada"}`),
			CustomData:        json.RawMessage(`{}`),
			Identities:        json.RawMessage(`{}`),
			PasswordDigest:    "$2b$10$abcdefghijklmnopqrstuv",
			PasswordAlgorithm: "Bcrypt",
			IsSuspended:       false,
			LastSignInAt:      base + 99,
			CreatedAt:         base + 12345, // ignored
			UpdatedAt:         base + 100,
		}
		must(t, s.UpdateUser(ctx, &updated))
		got, err := s.GetUser(ctx, u.ID)
		must(t, err)
		updated.CreatedAt = u.CreatedAt
		wantEqual(t, "updated user", *got, updated)

		reuse := fullUser()
		reuse.Username = u.Username
		reuse.PrimaryPhone = u.PrimaryPhone
		must(t, s.CreateUser(ctx, &reuse))
	})

	t.Run("delete", func(t *testing.T) {
		u := fullUser()
		must(t, s.CreateUser(ctx, &u))
		must(t, s.DeleteUser(ctx, u.ID))
		_, err := s.GetUser(ctx, u.ID)
		wantNotFound(t, err)
		_, err = s.FindUserByIdentifier(ctx, store.ByUsername, u.Username)
		wantNotFound(t, err)
		wantNotFound(t, s.DeleteUser(ctx, u.ID))
	})
}

func testUserIdentifiers(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := fullUser()
	u.Username = "Ada.Lovelace"
	u.PrimaryEmail = "Ada@Example.COM"
	u.PrimaryPhone = "+15550100"
	must(t, s.CreateUser(ctx, &u))
	other := fullUser()
	must(t, s.CreateUser(ctx, &other))

	cases := []struct {
		kind  store.IdentifierKind
		value string
		found bool
	}{
		{store.ByUsername, "Ada.Lovelace", true},
		{store.ByUsername, "ada.lovelace", true},
		{store.ByUsername, "ADA.LOVELACE", true},
		{store.ByUsername, "Ada", false},
		{store.ByUsername, "Ada_Lovelace", false},
		{store.ByEmail, "ada@example.com", true},
		{store.ByEmail, "ADA@EXAMPLE.COM", true},
		{store.ByEmail, "ada@example.co", false},
		{store.ByPhone, "+15550100", true},
		{store.ByPhone, "15550100", false},
		{store.ByUsername, "", false},
		{store.ByEmail, "", false},
		{store.ByPhone, "", false},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s %q", c.kind, c.value), func(t *testing.T) {
			got, err := s.FindUserByIdentifier(ctx, c.kind, c.value)
			if !c.found {
				wantNotFound(t, err)
				return
			}
			must(t, err)
			wantEqual(t, "user", *got, u)
		})
	}

	t.Run("unknown kind", func(t *testing.T) {
		if _, err := s.FindUserByIdentifier(ctx, "nickname", "ada"); err == nil {
			t.Fatal("found a user by an unknown identifier kind")
		}
	})
}

func testUserList(t *testing.T, s store.Store) {
	ctx := t.Context()
	specs := []store.User{
		{ID: "user-c", Username: "carol", PrimaryEmail: "carol@corp.example", Name: "Carol Jones", CreatedAt: base + 2},
		{ID: "user-b", Username: "bob", PrimaryPhone: "+4930123456", Name: "Bob", CreatedAt: base + 1},
		{ID: "user-a", PrimaryEmail: "alice@home.example", Name: "Alice Corp-Smith", CreatedAt: base + 1},
		{ID: "user-d", Username: "Dave_100%", CreatedAt: base + 3},
	}
	for i := range specs {
		specs[i].UpdatedAt = specs[i].CreatedAt
		must(t, s.CreateUser(ctx, &specs[i]))
	}
	userID := func(u store.User) string { return u.ID }
	all := store.Page{}

	cases := []struct {
		name   string
		search string
		page   store.Page
		want   []string
		total  int
	}{
		{"all in order", "", all, []string{"user-a", "user-b", "user-c", "user-d"}, 4},
		{"first page", "", store.Page{Page: 1, PageSize: 3}, []string{"user-a", "user-b", "user-c"}, 4},
		{"second page", "", store.Page{Page: 2, PageSize: 3}, []string{"user-d"}, 4},
		{"past the end", "", store.Page{Page: 3, PageSize: 3}, []string{}, 4},
		{"page 0 is all", "", store.Page{Page: 0, PageSize: 3}, []string{"user-a", "user-b", "user-c", "user-d"}, 4},
		{"by id", "USER-B", all, []string{"user-b"}, 1},
		{"by username", "CAR", all, []string{"user-c"}, 1},
		{"by email and name ignoring case", "corp", all, []string{"user-a", "user-c"}, 2},
		{"by email domain", "@home.", all, []string{"user-a"}, 1},
		{"by phone", "30123", all, []string{"user-b"}, 1},
		{"by name", "jones", all, []string{"user-c"}, 1},
		{"search and page", "o", store.Page{Page: 2, PageSize: 1}, []string{"user-b"}, 3},
		{"percent is literal", "0%", all, []string{"user-d"}, 1},
		{"underscore is literal", "e_1", all, []string{"user-d"}, 1},
		{"underscore is no wildcard", "l_j", all, []string{}, 0},
		{"no match", "nobody", all, []string{}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			users, total, err := s.ListUsers(ctx, c.search, c.page)
			must(t, err)
			wantEqual(t, "ids", ids(users, userID), c.want)
			wantEqual(t, "total", total, c.total)
		})
	}

	t.Run("listed users are complete", func(t *testing.T) {
		users, _, err := s.ListUsers(ctx, "carol", all)
		must(t, err)
		want := specs[0]
		want.Profile, want.CustomData, want.Identities = json.RawMessage(`{}`), json.RawMessage(`{}`), json.RawMessage(`{}`)
		wantEqual(t, "users", users, []store.User{want})
	})
}

// upper is strings.ToUpper for ASCII, which is all the tests need.
func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
