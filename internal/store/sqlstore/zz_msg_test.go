package sqlstore

import (
	"context"
	"testing"
)

func TestMsg(t *testing.T) {
	s, _ := Open(context.Background(), "sqlite:"+t.TempDir()+"/x.db")
	s.Migrate(context.Background())
	s.db.Exec(`INSERT INTO resources (id,name,indicator,created_at) VALUES ('r','r','r',1)`)
	s.db.Exec(`INSERT INTO scopes (id,resource_id,name,created_at) VALUES ('a','r','n',1)`)
	_, err := s.db.Exec(`INSERT INTO scopes (id,resource_id,name,created_at) VALUES ('b','r','n',1)`)
	t.Logf("%q", err.Error())
}
