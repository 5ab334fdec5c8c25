extension Network {
    /// The parameters as named tensors (copies), in `parameterInfo` order.
    public func namedTensors() -> [NamedTensor] {
        parameterInfo.map { info in
            (name: info.name, shape: info.shape,
             values: Array(parameters[info.offset..<(info.offset + info.count)]))
        }
    }

    /// Copies named tensors into the parameters. Names and shapes must match `parameterInfo` exactly (no
    /// missing, extra or mis-shaped tensor; order is free). Nothing is changed if any check fails.
    /// `source` names the origin (e.g. the file) in errors.
    public func loadTensors(_ tensors: [NamedTensor], source: String) throws(NetworkError) {
        var byName: [String: Int] = [:]
        for (index, tensor) in tensors.enumerated() {
            if byName.updateValue(index, forKey: tensor.name) != nil {
                throw .weightsMismatch(file: source, problem: "tensor '\(tensor.name)' appears twice")
            }
        }
        for info in parameterInfo {
            guard let index = byName[info.name] else {
                throw .weightsMismatch(file: source, problem: "missing tensor '\(info.name)' (expected shape \(info.shape) for \(spec) on \(input))")
            }
            let tensor = tensors[index]
            guard tensor.shape == info.shape else {
                throw .weightsMismatch(file: source, problem: "tensor '\(info.name)' has shape \(tensor.shape), expected \(info.shape) for \(spec) on \(input) with \(classes) classes")
            }
            guard tensor.values.count == info.count else {
                throw .weightsMismatch(file: source, problem: "tensor '\(info.name)' has \(tensor.values.count) values, expected \(info.count)")
            }
        }
        let expected = Set(parameterInfo.map(\.name))
        if let extra = tensors.first(where: { !expected.contains($0.name) }) {
            throw .weightsMismatch(file: source, problem: "unexpected tensor '\(extra.name)' (not a parameter of \(spec))")
        }
        for info in parameterInfo {
            let values = tensors[byName[info.name]!].values
            for j in 0..<info.count { parameters[info.offset + j] = values[j] }
        }
    }

    /// Writes the parameters as a safetensors file (F32, PyTorch names and shapes), atomically.
    /// A model saved by PyTorch's `safetensors.torch.save_file(model.state_dict(), path)` has the same bytes
    /// (given the same metadata).
    public func saveWeights(to path: String, metadata: [String: String] = [:]) throws {
        try Safetensors.write(namedTensors(), metadata: metadata, to: path)
    }

    /// Loads parameters from a safetensors file; throws `SafetensorsError` for an unreadable or malformed file
    /// and `NetworkError.weightsMismatch` when names or shapes differ from `parameterInfo`.
    public func loadWeights(from path: String) throws {
        let file = try Safetensors.read(from: path)
        try loadTensors(file.tensors, source: path)
    }
}
