package bullet

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/tracemark/tracemark/internal/x3p"
)

// ReadLand reads an X3P land scan and processes it (see ProcessLand). The
// land is named after the file.
func ReadLand(path string, p Params) (*Land, error) {
	f, err := x3p.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if f.Surface == nil {
		return nil, fmt.Errorf("%s: %w: the file holds no height map", path, ErrNotALand)
	}
	l, err := ProcessLand(f.Surface, p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	l.Name = filepath.Base(path)
	return l, nil
}

// LoadBullet reads the land files of one bullet, in land order. A land that
// is unsuitable (too damaged, too incomplete) is kept as nil with the reason
// in Problems, so the comparison can go on without it; an empty path marks
// a land that was not scanned. A file that cannot be read or is not a land
// at all (for example a cartridge case) is an error.
func LoadBullet(ctx context.Context, name string, files []string, p Params) (*Bullet, error) {
	b := &Bullet{Name: name, Lands: make([]*Land, len(files)), Problems: make([]string, len(files))}
	for i, path := range files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if path == "" {
			b.Problems[i] = "not scanned"
			continue
		}
		l, err := ReadLand(path, p)
		var unsuitable *UnsuitableError
		switch {
		case errors.As(err, &unsuitable):
			b.Problems[i] = unsuitable.Reason
		case err != nil:
			return nil, fmt.Errorf("bullet %s land %d: %w", name, i+1, err)
		default:
			b.Lands[i] = l
		}
	}
	return b, nil
}
