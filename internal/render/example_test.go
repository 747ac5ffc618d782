package render_test

import (
	"fmt"

	"github.com/tracemark/tracemark/internal/render"
)

func ExampleScaleBar() {
	// A Fadul scan: 545 points at 6.25 µm.
	length, label := render.ScaleBar(545 * 6.25)
	fmt.Println(length, label)
	// Output: 500 500 µm
}
