package checker

import "github.com/delegsim/delegsim/model"

// InitialValues returns every file's register at the start of a run, read
// from the server (actors[0]) before it has stepped: its size and
// contents.
func InitialValues(actors []model.Actor) map[string]Value {
	srv, ok := actors[0].(*model.Server)
	if !ok {
		return nil
	}
	init := make(map[string]Value, len(srv.Files()))
	for _, f := range srv.Files() {
		init[f.Name] = Value{Size: f.Size, Data: f.Data}
	}
	return init
}
