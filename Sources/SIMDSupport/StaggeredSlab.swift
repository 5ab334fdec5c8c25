#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One zero-initialised allocation holding several Float32 buffers, for the large per-parameter arrays of a fused
/// pass. The slab is 2 MiB-aligned (advised to use transparent huge pages on Linux: fewer TLB misses when the
/// state is several MB); buffer k starts on a 4 KiB boundary plus `pageOffsets[k]` bytes.
///
/// Why the stagger is explicit: a fused update reads several streams and writes several back. When a load and an
/// earlier store sit at the same offset modulo 4 KiB, the core assumes a dependency and waits (4K aliasing). The
/// owner of the slab chooses offsets that differ between all the streams that one pass touches — including the
/// buffers of other slabs it is used with (the network's weights and gradients vs the optimizer's state):
/// ``PageStagger`` names the offsets each side uses.
package struct StaggeredSlab {
    package let base: UnsafeMutableRawPointer
    package let byteCount: Int
    package let buffers: [UnsafeMutablePointer<Float>]

    /// - Parameters:
    ///   - counts: Float32 elements of each buffer (a buffer of 0 elements still gets 8, so its pointer is valid).
    ///   - pageOffsets: bytes past a 4 KiB boundary at which each buffer starts (multiples of 64; one per count).
    package init(counts: [Int], pageOffsets: [Int]) {
        precondition(counts.count == pageOffsets.count, "one page offset per buffer")
        var starts: [Int] = []
        var end = 0
        for (count, offset) in zip(counts, pageOffsets) {
            precondition(offset >= 0 && offset < 4096 && offset % 64 == 0, "page offsets are cache lines in a page")
            let start = (end + 4095) / 4096 * 4096 + offset
            starts.append(start)
            end = start + max(count, 8) * MemoryLayout<Float>.stride
        }
        let hugePage = 2 << 20
        byteCount = max(hugePage, (end + hugePage - 1) / hugePage * hugePage)
        base = UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: hugePage)
        #if os(Linux)
        _ = madvise(base, byteCount, 14)  // MADV_HUGEPAGE
        #endif
        base.initializeMemory(as: UInt8.self, repeating: 0, count: byteCount)
        let raw = base
        buffers = starts.map { (raw + $0).assumingMemoryBound(to: Float.self) }
    }

    /// Frees the slab (every buffer pointer becomes invalid).
    package func deallocate() { base.deallocate() }
}

/// The page offsets of the fused batch-1 pass's streams, in one place. The optimizer's per-parameter state takes
/// buffer k at `k · 576` bytes (9 cache lines) modulo 4 KiB; the network's weights and gradients sit at offsets
/// none of those buffers use, so the optimizer's loads of w and g never alias its stores of h, m, v.
package enum PageStagger {
    /// Offset of the optimizer's k-th state buffer.
    package static func optimizerState(_ k: Int) -> Int { (k * 576) % 4096 }
    /// Offsets of the network's flat weights and gradients (4 and 5 steps of 576 bytes: past the optimizer's
    /// trace and up to three moment buffers).
    package static let networkWeights = 2304
    package static let networkGradients = 2880
}
