package explore

import (
	"sync"
	"sync/atomic"
)

// The two search orders, each run by Options.Workers goroutines.
//
// BFS goes layer by layer: the workers take chunks of the current layer
// in turn and write the next layer in chunks of their own, joined in
// worker order when the layer is done. Each entry keeps its origin (its
// parent's index in the layer before and its step's position among the
// parent's enabled steps), from which a counterexample's path is rebuilt.
//
// DFS gives each worker a stack of its own. A worker that runs out of
// work waits on a shared queue; the others, seeing it wait, hand it the
// last pending successor of the lowest level of their stacks (the one
// with, probably, the most left below it). The search ends when every
// worker waits.

// search explores from the start state, which has been visited.
func (x *explorer) search(root *frame) {
	w := x.workers[0]
	start := &layerWriter{pool: &chunkPool{}}
	start.add(w.e.encode(root, nil), 0, 0)
	layers := []*layer{join([]*layerWriter{start})}
	if x.o.Shards > 1 {
		layers = x.shardPrefix(layers)
		if layers == nil {
			return
		}
	}
	depth := len(layers) - 1
	if x.o.Strategy == DFS {
		q := &workQueue{workers: len(x.workers)}
		q.cond = sync.NewCond(&q.mu)
		cur := layers[depth]
		for _, c := range cur.chunks {
			c.each(&chunkPool{}, func(i int, entry []byte) bool {
				q.items = append(q.items, workItem{entry: append([]byte(nil), entry...), ords: bfsOrds(layers, depth, i), depth: int32(depth)})
				return true
			})
		}
		x.queue.Store(int64(len(q.items)))
		x.run(func(w *worker) { w.dfsRun(q) })
		return
	}
	x.bfs(layers, -1)
}

// run runs f on every worker, on goroutines of their own if there are
// several.
func (x *explorer) run(f func(w *worker)) {
	if len(x.workers) == 1 {
		f(x.workers[0])
		return
	}
	var wg sync.WaitGroup
	for _, w := range x.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(w)
		}()
	}
	wg.Wait()
}

// bfs expands layer after layer, the last of layers first, until the
// frontier is empty, the search stops, or (stopAt ≥ 0) the layer at depth
// stopAt is reached, which it then returns unexpanded with the others.
func (x *explorer) bfs(layers []*layer, stopAt int) []*layer {
	outs := make([]*layerWriter, len(x.workers))
	for i, w := range x.workers {
		if w.pool == nil {
			w.pool = &chunkPool{}
		}
		outs[i] = &layerWriter{pool: w.pool}
	}
	for !x.stop.Load() {
		depth := len(layers) - 1
		cur := layers[depth]
		if cur.n == 0 || depth == stopAt {
			return layers
		}
		var next atomic.Int64
		x.run(func(w *worker) {
			f := w.frame(0)
			out := outs[slicesIndex(x.workers, w)]
			for !x.stop.Load() {
				k := int(next.Add(1) - 1)
				if k >= len(cur.chunks) {
					return
				}
				w.bfsChunk(cur.chunks[k], f, depth, layers, out)
			}
		})
		layers = append(layers, join(outs))
	}
	return layers
}

func slicesIndex(ws []*worker, w *worker) int {
	for i := range ws {
		if ws[i] == w {
			return i
		}
	}
	return -1
}

// bfsChunk expands the states of one chunk of the layer at depth into
// out.
func (w *worker) bfsChunk(c *fchunk, f *frame, depth int, layers []*layer, out *layerWriter) {
	x, e := w.x, w.e
	w.layers, w.bfsDepth = layers, depth
	c.each(w.pool, func(i int, entry []byte) bool {
		if x.stop.Load() {
			return false
		}
		e.load(f, entry)
		f.depth = int32(depth)
		w.bfsIndex = i
		w.pending--
		var n int
		n, w.ords = w.expand(f, &w.kids, w.ords[:0])
		for k := range n {
			o := w.ords[k]
			out.add(e.encode(f, &w.kids[o]), i, int(o))
		}
		w.pending += int64(n)
		return true
	})
}

// bfsOrds returns the step positions from the start to entry i of the
// layer at depth.
func bfsOrds(layers []*layer, depth, i int) []uint16 {
	ords := make([]uint16, depth)
	for k, j := depth, i; k > 0; k-- {
		var o uint16
		j, o = layers[k].origin(j)
		ords[k-1] = o
	}
	return ords
}

// frame returns the worker's i-th frame, a copy of the start state when
// new: BFS loads every state into frame 0, DFS keeps one frame per depth.
func (w *worker) frame(i int) *frame {
	for len(w.frames) <= i {
		f := w.e.newFrame()
		if len(w.frames) == 0 {
			root := w.e.initial()
			f = root
		}
		w.frames = append(w.frames, f)
	}
	return w.frames[i]
}

// workItem is a state to search depth first from: a frontier entry, its
// path from the start as step positions, and its depth.
type workItem struct {
	entry []byte
	ords  []uint16
	depth int32
}

// workQueue holds the DFS work no worker has taken.
type workQueue struct {
	mu      sync.Mutex
	cond    *sync.Cond
	items   []workItem
	workers int
	idle    int
	done    bool
	waiting atomic.Int32 // workers waiting for an item
}

// take returns the next item, waiting for one while some worker is busy;
// false when the search is over.
func (q *workQueue) take(x *explorer) (workItem, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.items) == 0 {
		if q.done || x.stop.Load() {
			q.cond.Broadcast()
			return workItem{}, false
		}
		q.idle++
		if q.idle == q.workers {
			q.done = true
			q.cond.Broadcast()
			return workItem{}, false
		}
		q.waiting.Add(1)
		q.cond.Wait()
		q.waiting.Add(-1)
		q.idle--
	}
	it := q.items[0]
	q.items = q.items[1:]
	return it, true
}

func (q *workQueue) put(it workItem) {
	q.mu.Lock()
	q.items = append(q.items, it)
	q.mu.Unlock()
	q.cond.Signal()
}

// dfsLevel is one depth of a DFS stack: the successors of the state at
// that depth still to be searched, kids[ords[i]] for i in [i, n).
type dfsLevel struct {
	kids []delta
	ords []uint16
	i, n int
}

// dfsRun searches depth first from the queue's items until the search
// is over.
func (w *worker) dfsRun(q *workQueue) {
	x, e := w.x, w.e
	root := w.frame(0)
	for {
		it, ok := q.take(x)
		if !ok {
			return
		}
		x.queue.Add(-1)
		e.load(root, it.entry)
		root.depth = it.depth
		w.prefix = it.ords
		w.dfs(root, q)
		if x.stop.Load() {
			q.mu.Lock()
			q.cond.Broadcast()
			q.mu.Unlock()
		}
	}
}

// dfs searches below root, which has been visited.
func (w *worker) dfs(root *frame, q *workQueue) {
	x, e := w.x, w.e
	w.stack = w.stack[:0]
	w.push(root)
	for len(w.stack) > 0 && !x.stop.Load() {
		top := w.stack[len(w.stack)-1]
		if top.i == top.n {
			w.stack = w.stack[:len(w.stack)-1]
			continue
		}
		k := top.i
		top.i++
		w.pending--
		g := w.frame(len(w.stack))
		e.advance(g, w.frames[len(w.stack)-1], &top.kids[top.ords[k]])
		w.push(g)
		if q.waiting.Load() > 0 {
			w.donate(q)
		}
	}
}

// push expands f, the state at the stack's depth, and pushes its level.
func (w *worker) push(f *frame) {
	d := len(w.stack)
	for len(w.levels) <= d {
		w.levels = append(w.levels, &dfsLevel{})
	}
	l := w.levels[d]
	l.i = 0
	l.n, l.ords = w.expand(f, &l.kids, l.ords[:0])
	if l.n > 0 {
		w.stack = append(w.stack, l)
		w.pending += int64(l.n)
	}
}

// donate gives a waiting worker the last pending successor of the lowest
// level that has one.
func (w *worker) donate(q *workQueue) {
	for d, l := range w.stack {
		if l.i < l.n {
			k := l.n - 1
			l.n--
			w.pending--
			ords := append(w.dfsOrds(d), l.ords[k])
			f := w.frames[d]
			q.put(workItem{entry: append([]byte(nil), w.e.encode(f, &l.kids[l.ords[k]])...), ords: ords, depth: f.depth + 1})
			w.x.queue.Add(1)
			return
		}
	}
}

// dfsOrds returns the step positions from the start to the state at
// depth d of the worker's stack.
func (w *worker) dfsOrds(d int) []uint16 {
	ords := append([]uint16(nil), w.prefix...)
	for _, l := range w.stack[:d] {
		ords = append(ords, l.ords[l.i-1])
	}
	return ords
}

// path returns the steps from the start to the state being expanded.
func (w *worker) path() []Step {
	if w.layers != nil {
		return w.x.m.stepsOf(bfsOrds(w.layers, w.bfsDepth, w.bfsIndex))
	}
	return w.x.m.stepsOf(w.dfsOrds(len(w.stack)))
}

// shardPrefix explores every state above the shard frontier (counting
// them in shard 0 only), then keeps of the frontier the states that fall
// to this shard. It returns the layers to go on from, nil if the search
// ended in the prefix.
func (x *explorer) shardPrefix(layers []*layer) []*layer {
	x.quietStats.Store(x.o.Shard != 0)
	depth := x.o.ShardDepth
	if depth <= 0 {
		for !x.stop.Load() {
			cur := layers[len(layers)-1]
			if cur.n == 0 || cur.n >= 64*x.o.Shards {
				break
			}
			layers = x.bfs(layers, len(layers))
		}
	} else {
		layers = x.bfs(layers, depth)
	}
	d := len(layers) - 1
	cur := layers[d]
	info := x.rep.Shard
	info.Depth, info.Frontier = d, cur.n
	for _, w := range x.workers {
		info.PrefixStates += int(w.distinct)
	}
	info.PrefixStates -= cur.n
	x.quietStats.Store(false)
	if x.stop.Load() || cur.n == 0 {
		return nil
	}
	w := x.workers[0]
	f := w.frame(0)
	out := &layerWriter{pool: &chunkPool{}}
	for _, c := range cur.chunks {
		c.each(out.pool, func(i int, entry []byte) bool {
			w.e.load(f, entry)
			if w.e.key(f)%uint64(x.o.Shards) == uint64(x.o.Shard) {
				p, o := cur.origin(i)
				out.add(entry, p, int(o))
			}
			return true
		})
	}
	own := join([]*layerWriter{out})
	info.Own = own.n
	// Each shard counts its own frontier states and what it finds below
	// them; shard 0 also counts the prefix.
	x.workers[0].distinct -= int64(info.Frontier - own.n)
	if x.o.Shard != 0 {
		x.workers[0].distinct -= int64(info.PrefixStates)
	}
	layers[d] = own
	return layers
}

// stepsOf replays a path given as positions among the enabled steps of
// each state from the start, and returns its steps.
func (m *Model) stepsOf(ords []uint16) []Step {
	e := newEngine(m)
	f, g := e.initial(), e.newFrame()
	var d delta
	var enabled []Step
	steps := make([]Step, len(ords))
	for i, k := range ords {
		enabled = e.enabled(f, enabled[:0])
		steps[i] = enabled[k]
		e.apply(f, steps[i], &d)
		e.advance(g, f, &d)
		f, g = g, f
	}
	return steps
}
