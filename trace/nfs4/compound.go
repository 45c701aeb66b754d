// Package nfs4 decodes the XDR of NFSv4.0, 4.1 and 4.2 COMPOUND and
// CB_COMPOUND calls and replies (RFC 7530, RFC 8881, RFC 7862, RFC 8276,
// RFC 9754).
//
// Every operation of these RFCs can be walked, so a compound is never
// lost to an operation the decoder does not care about; the operations
// that carry delegation state (OPEN, CLOSE, DELEGRETURN, GETATTR, SETATTR,
// WRITE, SEQUENCE, EXCHANGE_ID, CB_RECALL, CB_GETATTR, ...) keep what they
// say in Op. An operation that does not decode ends the compound there:
// Compound.Err names it, and the operations before it are kept.
package nfs4

import (
	"errors"
	"fmt"
)

// Compound is a decoded COMPOUND or CB_COMPOUND, call or reply.
type Compound struct {
	Callback bool
	Reply    bool
	Tag      string
	Minor    uint32 // minorversion (calls)
	CBIdent  uint32 // CB_COMPOUND callback_ident (calls)
	Status   Status // replies: the compound's status
	NumOps   int    // operations the message holds
	Ops      []Op   // operations decoded, in order
	Err      *DecodeError
}

// DecodeError says where a compound stopped decoding.
type DecodeError struct {
	Index int    // index of the operation that did not decode
	Op    string // its name
	Err   error
}

func (e *DecodeError) Error() string {
	if e.Op == "" {
		return fmt.Sprintf("compound header: %v", e.Err)
	}
	return fmt.Sprintf("op #%d %s: %v (the rest of the compound is not decoded)", e.Index+1, e.Op, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// Cut reports whether decoding stopped at bytes the capture did not keep.
func (e *DecodeError) Cut() bool { return e != nil && errors.Is(e.Err, ErrCut) }

// Find returns the first operation with the given code, or nil.
func (c *Compound) Find(code Opcode) *Op {
	for i := range c.Ops {
		if c.Ops[i].Code == code {
			return &c.Ops[i]
		}
	}
	return nil
}

// OpNames lists the decoded operations' names.
func (c *Compound) OpNames() []string {
	out := make([]string, len(c.Ops))
	for i := range c.Ops {
		out[i] = c.Ops[i].OpName()
	}
	return out
}

// DecodeCall decodes COMPOUND4args (callback false) or CB_COMPOUND4args.
// cutAt is the offset of the first byte the capture cut off, or -1.
func DecodeCall(body []byte, cutAt int, callback bool) *Compound {
	return decodeCall(new(Arena), body, cutAt, callback)
}

// DecodeReply decodes COMPOUND4res or CB_COMPOUND4res.
func DecodeReply(body []byte, cutAt int, callback bool) *Compound {
	return decodeReply(new(Arena), body, cutAt, callback)
}

// opsChunk bounds the operations taken from the arena before their
// count is proven by decoding them: a corrupt count must not claim
// memory.
const opsChunk = 16

func decodeCall(a *Arena, body []byte, cutAt int, callback bool) *Compound {
	x := a.reader(body, cutAt)
	c := a.compounds.one()
	c.Callback = callback
	c.Tag = x.str(1 << 10)
	c.Minor = x.u32()
	if callback {
		c.CBIdent = x.u32()
	}
	n := x.count()
	if x.err != nil {
		c.Err = &DecodeError{Err: x.err}
		return c
	}
	c.NumOps = n
	decoders := &argDecoders
	if callback {
		decoders = &cbArgDecoders
	}
	ops := a.ops.take(min(n, opsChunk))
	for i := range n {
		ops = opAt(ops, i)
		op := &ops[i]
		op.Code, op.Callback = Opcode(x.u32()), callback
		f := decoders.of(op.Code)
		if x.err == nil && f == nil {
			x.fail(fmt.Errorf("%w: unknown operation %d", ErrBad, uint32(op.Code)))
		}
		if x.err == nil {
			f(x, op)
		}
		if stop(c, x, i, op) {
			c.Ops = ops[:i:i]
			return c
		}
	}
	c.Ops = ops[:n:n]
	return c
}

func decodeReply(a *Arena, body []byte, cutAt int, callback bool) *Compound {
	x := a.reader(body, cutAt)
	c := a.compounds.one()
	c.Callback, c.Reply = callback, true
	c.Status = Status(x.u32())
	c.Tag = x.str(1 << 10)
	n := x.count()
	if x.err != nil {
		c.Err = &DecodeError{Err: x.err}
		return c
	}
	c.NumOps = n
	decoders := &resDecoders
	if callback {
		decoders = &cbResDecoders
	}
	ops := a.ops.take(min(n, opsChunk))
	for i := range n {
		ops = opAt(ops, i)
		op := &ops[i]
		op.Code, op.Callback = Opcode(x.u32()), callback
		op.Status = Status(x.u32())
		f := decoders.of(op.Code)
		known := f != nil || (!callback && op.Code == OpSetattr)
		if x.err == nil && !known {
			x.fail(fmt.Errorf("%w: unknown operation %d", ErrBad, uint32(op.Code)))
		}
		if x.err == nil {
			switch {
			case !callback && op.Code == OpSetattr:
				setattrRes(x, op)
			case op.Status == OK:
				f(x, op)
			default:
				if g := errBodies[op.Code][op.Status]; g != nil && !callback {
					g(x, op)
				}
			}
		}
		if stop(c, x, i, op) {
			c.Ops = ops[:i:i]
			return c
		}
		if op.Status != OK {
			// A compound stops at its first failing operation.
			c.Ops = ops[: i+1 : i+1]
			return c
		}
	}
	c.Ops = ops[:n:n]
	return c
}

// opAt makes room for operation i: past the first chunk, operations go
// to the heap as an ordinary growing slice.
func opAt(ops []Op, i int) []Op {
	if i < len(ops) {
		return ops
	}
	return append(ops, Op{})
}

// stop reports whether decoding must stop after op, recording why.
func stop(c *Compound, x *xdr, i int, op *Op) bool {
	if x.err == nil && x.cutHit {
		x.err = fmt.Errorf("%w at byte %d", ErrCut, x.cut)
	}
	if x.err != nil {
		c.Err = &DecodeError{Index: i, Op: op.OpName(), Err: x.err}
		return true
	}
	return false
}
