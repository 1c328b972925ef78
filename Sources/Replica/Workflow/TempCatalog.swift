extension SOP {
    public static let catalog: [SOP] = []
    public static func named(_ code: String) -> SOP? { catalog.first { $0.code.lowercased() == code.lowercased() } }
}
