extension Replica {
    /// Whether a node is a member of this court. (Membership records come with the sync issue;
    /// until then every node of the same court is accepted, and a node whose key differs from
    /// the key its origins were signed with is refused.)
    func membership(node: NodeID, publicKey: [UInt8]) throws -> PeerAuthorization {
        for info in origins.values where info.node == node && info.publicKey != publicKey {
            return PeerAuthorization(allowed: false, reason: "node \(node.short) presents a key other than the one its operations are signed with")
        }
        let known = origins.values.first { $0.node == node }
        return PeerAuthorization(allowed: true, reason: "same court", name: known?.name, role: known?.role)
    }
}
