import Foundation

extension SOP {
    /// The flow as one flow object of the template file format, keys sorted: what a flow
    /// revision carries, and what `sop export` prints for the admin to edit.
    public func definition() -> String {
        func ref(_ r: SOPReference) -> [String: Any] {
            var d: [String: Any] = ["seed": r.seed, "book": r.book]
            if let v = r.sop { d["sop"] = v }
            if let v = r.number { d["number"] = v }
            if let v = r.differences { d["differences"] = v }
            return d
        }
        func step(_ s: SOPStep) -> [String: Any] {
            var d: [String: Any] = [
                "n": s.number, "activity": s.activity, "gloss": s.gloss, "actors": s.actors.map(\.rawValue),
                "time": s.time.text, "requirements": s.requirements, "output": s.output,
            ]
            if s.mode != .any { d["mode"] = s.mode.rawValue }
            if let e = s.external { d["external"] = ["party": e.party, "document": e.document] }
            if let q = s.decision {
                d["decision"] = [
                    "question": q.question, "gloss": q.gloss,
                    "answers": q.answers.map { a -> [String: Any] in ["answer": a.label, "next": a.next.map { $0 as Any } ?? NSNull()] },
                ]
            } else {
                d["next"] = s.next.map { $0 as Any } ?? NSNull()
            }
            if let r = s.requires { d["requires"] = r }
            if let r = s.reading { d["reading"] = r }
            return d
        }
        var d: [String: Any] = [
            "code": code, "kind": kind.rawValue, "title": title, "gloss": gloss, "start": start,
            "steps": steps.map(step), "columns": columns, "notes": notes,
        ]
        if let first = references.first { d["source"] = ref(first) }
        if references.count > 1 { d["also"] = references.dropFirst().map(ref) }
        if let t = time { d["time"] = t.text }
        if !requirements.isEmpty { d["requirements"] = requirements }
        if !output.isEmpty { d["output"] = output }
        if tableMissing { d["tableMissing"] = true }
        if let l = letter { d["letter"] = ["from": l.from, "to": l.to, "recipient": l.recipient] }
        guard let data = try? JSONSerialization.data(withJSONObject: d, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]) else { return "" }
        return String(decoding: data, as: UTF8.self)
    }
}
