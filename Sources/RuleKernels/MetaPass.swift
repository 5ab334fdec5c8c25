import SIMDSupport

// Meta rules on β (spec §3.4 faithful, §4.2 standard), vectorised over step-size groups. Each pass reads the
// current β, the rule's state and z, and writes the NEXT β, state and α = exp(β) into separate buffers, so the
// caller commits the whole update only when every new value is finite. Generic over the rule's lanes
// (``MetaLanes``), `@inlinable` so that each rule's file gets its own specialised pass.

/// A meta rule on 8 groups: returns the new β and updates the rule's state for these lanes.
@usableFromInline package protocol MetaLanes {
    /// The rule's per-group state buffers (`s0` first, `s1` second).
    static var state: StateLayout { get }
    func update(z: V8, beta: V8, s0: inout V8, s1: inout V8) -> V8
}

/// Coefficients shared by every meta rule: (1 − η·κ̄) and η, rounded to Float32.
@usableFromInline package struct MetaCommon {
    @usableFromInline package let shrink: V8
    @usableFromInline package let eta: V8
    @inlinable package init(eta: Double, metaWeightDecay: Double) {
        shrink = V8(repeating: Float(1 - eta * metaWeightDecay))
        self.eta = V8(repeating: Float(eta))
    }
}

/// Current and next meta state buffers (all of length `count` = number of groups).
@usableFromInline package struct MetaBuffers {
    /// This step's meta-gradients z, β and the rule's two per-group state slots (read).
    @usableFromInline package var z, beta, s0, s1: UnsafePointer<Float>
    /// Where the pass writes the new β, state slots and α = exp(β).
    @usableFromInline package var nextBeta, nextS0, nextS1, nextAlpha: UnsafeMutablePointer<Float>
    @usableFromInline package var count: Int
    @inlinable package init(z: UnsafePointer<Float>, beta: UnsafePointer<Float>, s0: UnsafePointer<Float>,
                            s1: UnsafePointer<Float>, nextBeta: UnsafeMutablePointer<Float>,
                            nextS0: UnsafeMutablePointer<Float>, nextS1: UnsafeMutablePointer<Float>,
                            nextAlpha: UnsafeMutablePointer<Float>, count: Int) {
        self.z = z; self.beta = beta; self.s0 = s0; self.s1 = s1; self.nextBeta = nextBeta; self.nextS0 = nextS0
        self.nextS1 = nextS1; self.nextAlpha = nextAlpha; self.count = count
    }
}

/// Runs a meta rule over every group, writing next β, state and α = exp(β). Returns true when every new value
/// (β, α, and the state the rule has) is finite.
@inlinable @inline(__always)
package func runMetaPass<M: MetaLanes>(_ rule: M, _ b: MetaBuffers) -> Bool {
    var witness = V8()
    let zero = V8()
    var i = 0
    while i < b.count {
        let n = min(8, b.count - i)
        let full = n == 8
        let z = full ? load8(b.z, i) : loadPartial(b.z, i, n)
        let beta = full ? load8(b.beta, i) : loadPartial(b.beta, i, n)
        var s0 = M.state.hasFirst ? (full ? load8(b.s0, i) : loadPartial(b.s0, i, n)) : V8()
        var s1 = M.state.hasSecond ? (full ? load8(b.s1, i) : loadPartial(b.s1, i, n)) : V8()
        let next = rule.update(z: z, beta: beta, s0: &s0, s1: &s1)
        witness += (next * zero + (s0 * zero + s1 * zero))
        if full {
            store8(b.nextBeta, i, next)
            if M.state.hasFirst { store8(b.nextS0, i, s0) }
            if M.state.hasSecond { store8(b.nextS1, i, s1) }
        } else {
            storePartial(b.nextBeta, i, n, next)
            if M.state.hasFirst { storePartial(b.nextS0, i, n, s0) }
            if M.state.hasSecond { storePartial(b.nextS1, i, n, s1) }
        }
        i += 8
    }
    // α = e^β in a second loop: its iterations are independent, so the long exp chains overlap.
    i = 0
    while i < b.count {
        let n = min(8, b.count - i)
        if n == 8 {
            let alpha = exp8(load8(b.nextBeta, i))
            witness += alpha * zero
            store8(b.nextAlpha, i, alpha)
        } else {
            let alpha = exp8(loadPartial(b.nextBeta, i, n))
            witness += alpha * zero
            storePartial(b.nextAlpha, i, n, alpha)
        }
        i += 8
    }
    return horizontalSum(witness) == 0
}
