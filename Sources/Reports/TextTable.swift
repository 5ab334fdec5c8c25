/// A table rendered either as GitHub markdown or as aligned monospaced text.
public struct TextTable: Sendable, Equatable {
    public enum Alignment: Sendable, Equatable { case left, right }

    public var headers: [String]
    public var alignments: [Alignment]
    public var rows: [[String]]

    /// `alignments` defaults to left for the first column and right for the others.
    public init(headers: [String], alignments: [Alignment]? = nil, rows: [[String]] = []) {
        self.headers = headers
        self.alignments = alignments ?? headers.indices.map { $0 == 0 ? .left : .right }
        self.rows = rows
    }

    /// Markdown escaping of a cell: `|` and line breaks would break the table.
    static func escapeMarkdown(_ s: String) -> String {
        s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }

    /// GitHub-flavoured markdown (header, alignment row, rows), ending with a newline.
    public func markdown() -> String {
        var lines = ["| " + headers.map(Self.escapeMarkdown).joined(separator: " | ") + " |"]
        lines.append("|" + alignments.map { $0 == .left ? ":---" : "---:" }.joined(separator: "|") + "|")
        for row in rows {
            let cells = headers.indices.map { $0 < row.count ? Self.escapeMarkdown(row[$0]) : "" }
            lines.append("| " + cells.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Aligned monospaced text: columns padded to their widest cell (in characters), separated by two spaces,
    /// a rule of "─" under the header; ends with a newline.
    public func plainText() -> String {
        let all = [headers] + rows.map { row in headers.indices.map { $0 < row.count ? row[$0] : "" } }
        let widths = headers.indices.map { c in all.map { $0[c].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            var parts: [String] = []
            for (c, cell) in cells.enumerated() {
                let pad = String(repeating: " ", count: widths[c] - cell.count)
                parts.append(alignments[c] == .left ? cell + pad : pad + cell)
            }
            var s = parts.joined(separator: "  ")
            while s.hasSuffix(" ") { s.removeLast() }
            return s
        }
        var lines = [line(all[0])]
        lines.append(widths.map { String(repeating: "─", count: $0) }.joined(separator: "  "))
        for row in all.dropFirst() { lines.append(line(row)) }
        return lines.joined(separator: "\n") + "\n"
    }
}
