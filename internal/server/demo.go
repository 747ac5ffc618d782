package server

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"time"

	"github.com/tracemark/tracemark/internal/auth"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/ingest"
	"github.com/tracemark/tracemark/internal/store"
	"github.com/tracemark/tracemark/internal/synth"
	"github.com/tracemark/tracemark/internal/x3p"
)

//go:embed demodata/*.x3p
var demoData embed.FS

// DemoConfig sizes the synthetic part of the demo.
type DemoConfig struct {
	Firearms, Shots  int // synthetic cartridge cases: firearms × firings (default 3 × 2)
	Barrels, Bullets int // synthetic bullets: barrels × bullets of 6 lands (default 2 × 2)
}

// DemoReport says what LoadDemo stored.
type DemoReport struct {
	Cases, Exhibits, Scans, Runs int
	Elapsed                      time.Duration
}

// DemoPassword is the password of every demo user. The demo is for
// trying tracemark out on one machine; never load it into a real database.
const DemoPassword = "tracemark-demo"

// DemoUser is a demonstration account of the default agency.
type DemoUser struct {
	Username string
	Password string
	Roles    []domain.Role
	ID       domain.UserID
}

// demoUsers are one user per role, named after it.
var demoUsers = []struct {
	name string
	role domain.Role
}{
	{"admin", domain.RoleAdministrator}, {"examiner", domain.RoleExaminer}, {"technician", domain.RoleTechnician},
	{"verifier", domain.RoleVerifier}, {"investigator", domain.RoleInvestigator}, {"liaison", domain.RoleLiaison},
}

// EnsureDemoUsers creates the demo users of the default agency, one per
// role, with DemoPassword (an existing user with a password keeps it;
// one without gets DemoPassword). It returns them for printing.
func (n *Node) EnsureDemoUsers(ctx context.Context) ([]DemoUser, error) {
	console := auth.Actor{User: n.User.ID, Username: n.User.Username, Agency: n.Agency.ID}
	var out []DemoUser
	for _, d := range demoUsers {
		u, err := n.Store.UserByName(ctx, d.name)
		if errs.Is(errs.NotFound, err) {
			u, err = n.Store.CreateUser(ctx, domain.User{AgencyID: n.Agency.ID, Username: d.name,
				DisplayName: "Demo " + string(d.role), Roles: []domain.Role{d.role}})
			if err == nil {
				_, err = n.Audit.Act(ctx, console, "user.create", "user", string(u.ID), "", map[string]any{"username": u.Username, "roles": u.Roles, "demo": true})
			}
		}
		if err != nil {
			return nil, fmt.Errorf("demo user %s: %w", d.name, err)
		}
		if _, err := n.Store.Credential(ctx, u.ID); errs.Is(errs.NotFound, err) {
			if err := n.Auth.SetPassword(ctx, console, u.AgencyID, u.ID, DemoPassword); err != nil {
				return nil, fmt.Errorf("demo user %s: %w", d.name, err)
			}
		} else if err != nil {
			return nil, fmt.Errorf("demo user %s: %w", d.name, err)
		}
		out = append(out, DemoUser{Username: u.Username, Password: DemoPassword, Roles: u.Roles, ID: u.ID})
	}
	return out, nil
}

// LoadDemo fills the default agency with demonstration cases: two real
// Fadul breech faces (one firearm, bundled), synthetic cartridge cases of a
// few firearms and synthetic bullets, each firing its own case so that the
// candidate lists point across cases. Every file goes through the normal
// ingest. It is idempotent: a second call stores nothing new.
func (n *Node) LoadDemo(ctx context.Context, cfg DemoConfig) (DemoReport, error) {
	start := time.Now()
	if cfg.Firearms <= 0 {
		cfg.Firearms, cfg.Shots = 3, 2
	}
	if cfg.Barrels <= 0 {
		cfg.Barrels, cfg.Bullets = 2, 2
	}
	var rep DemoReport
	users, err := n.EnsureDemoUsers(ctx)
	if err != nil {
		return rep, err
	}
	d := demoLoader{n: n, rep: &rep, by: auth.Actor{User: users[1].ID, Username: users[1].Username, Agency: n.Agency.ID, Roles: users[1].Roles}}

	// Real scans: Fadul slide 1, two firings, each recovered at its own scene.
	for i, name := range []string{"Fadul 1-1.x3p", "Fadul 1-2.x3p"} {
		data, err := demoData.ReadFile("demodata/" + name)
		if err != nil {
			return rep, err
		}
		c := domain.Case{Number: fmt.Sprintf("DEMO-FADUL-%d", i+1), Title: "Demo: cartridge case recovered at a shooting (Fadul slide 1, real scan)",
			Offence: "shooting", PlaceName: []string{"Almaty", "Bishkek"}[i]}
		e := domain.Exhibit{Label: "E1", Kind: domain.KindCartridgeCase, Role: domain.RoleCrimeScene,
			Class: domain.ClassCharacteristics{Calibre: "9mm Luger"}, Description: "fired cartridge case"}
		if err := d.file(ctx, c, e, name, data, ingest.KindCartridge); err != nil {
			return rep, err
		}
	}

	// Synthetic cartridge cases.
	err = synth.EachCartridge(synth.CartridgeConfig{Firearms: cfg.Firearms, Shots: cfg.Shots, Seed: 7}, func(s synth.Scan) error {
		c := domain.Case{Number: "DEMO-SYN-" + s.Truth.ShotID, Title: "Demo: synthetic cartridge case (firearm " + s.Truth.SourceID + ")",
			Offence: "shooting", PlaceName: "Tashkent"}
		e := domain.Exhibit{Label: "E1", Kind: domain.KindCartridgeCase, Role: domain.RoleCrimeScene,
			Class: domain.ClassCharacteristics{Calibre: "9x18mm Makarov"}, Description: "synthetic cartridge case " + s.Name}
		data, err := encodeX3P(s)
		if err != nil {
			return err
		}
		return d.file(ctx, c, e, s.Name+".x3p", data, ingest.KindCartridge)
	})
	if err != nil {
		return rep, err
	}

	// Synthetic bullets: one exhibit per bullet, one scan per land.
	err = synth.EachBullet(synth.BulletConfig{Barrels: cfg.Barrels, Bullets: cfg.Bullets, Seed: 11, SpacingUM: 3.125}, func(s synth.Scan) error {
		c := domain.Case{Number: "DEMO-SYN-" + s.Truth.BulletID, Title: "Demo: synthetic bullet (barrel " + s.Truth.SourceID + ")",
			Offence: "shooting", PlaceName: "Dushanbe"}
		e := domain.Exhibit{Label: "B1", Kind: domain.KindBullet, Role: domain.RoleCrimeScene,
			Class: domain.ClassCharacteristics{Calibre: "5.45x39mm", Lands: 6, Twist: "right"}, Description: "synthetic bullet"}
		data, err := encodeX3P(s)
		if err != nil {
			return err
		}
		return d.file(ctx, c, e, s.Name+".x3p", data, ingest.KindBulletLand)
	})
	rep.Elapsed = time.Since(start)
	return rep, err
}

// nonZeroTime returns t in UTC, or now if t is zero.
func nonZeroTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now().UTC()
	}
	return t.UTC()
}

func encodeX3P(s synth.Scan) ([]byte, error) {
	var buf bytes.Buffer
	if err := x3p.Write(&buf, x3p.New(s.Surface)); err != nil {
		return nil, fmt.Errorf("demo scan %s: %w", s.Name, err)
	}
	return buf.Bytes(), nil
}

type demoLoader struct {
	n   *Node
	rep *DemoReport
	by  auth.Actor // the demo examiner
}

// file stores one demo file in its case and exhibit, creating them when
// missing.
func (d demoLoader) file(ctx context.Context, c domain.Case, e domain.Exhibit, name string, data []byte, kind ingest.Kind) error {
	n := d.n
	ag, user := n.Agency.ID, d.by.User
	c.AgencyID, c.CreatedBy = ag, user
	cs, created, err := ingest.FindOrCreateCase(ctx, n.Store, c)
	if err != nil {
		return fmt.Errorf("demo case %s: %w", c.Number, err)
	}
	if created {
		d.rep.Cases++
	}
	e.AgencyID, e.CaseID, e.CreatedBy = ag, cs.ID, user
	ex, created, err := ingest.FindOrCreateExhibit(ctx, n.Store, e)
	if err != nil {
		return fmt.Errorf("demo exhibit %s/%s: %w", c.Number, e.Label, err)
	}
	if created {
		d.rep.Exhibits++
	}
	res, err := n.Ingester.Ingest(ctx, ingest.Request{Agency: ag, Actor: user, Exhibit: ex.ID, Kind: kind, Name: name,
		Instrument: "demo", Body: bytes.NewReader(data)})
	if err != nil {
		return fmt.Errorf("demo file %s: %w", name, err)
	}
	if res.Created {
		d.rep.Scans++
		sc := res.Scan
		if _, err := n.Audit.AddCustody(ctx, d.by.AuditName(), string(cs.ID), store.CustodyEvent{Agency: ag, Exhibit: ex.ID,
			Kind: store.CustodyScanned, At: nonZeroTime(sc.CreatedAt), By: user, Notes: "demo scan " + name, Scan: sc.ID,
			ScanHashes: []string{sc.Original.String()}, Warnings: sc.Warnings}); err != nil {
			return fmt.Errorf("demo file %s: custody: %w", name, err)
		}
	}
	if res.Run != nil {
		d.rep.Runs++
	}
	return nil
}
