import JSON
import Testing

@Suite("Accessors and literals")
struct AccessorTests {
    let doc: JSON = ["name": "gate", "n": 3, "x": 2.5, "big": 1e3, "ok": true, "none": nil, "list": [1, "a"], "obj": ["k": "v"]]

    @Test func subscripts() {
        #expect(doc["name"] == "gate")
        #expect(doc["missing"] == nil)
        #expect(doc["none"] == .null)
        #expect(doc["list"]?[1] == "a")
        #expect(doc["list"]?[2] == nil)
        #expect(doc["list"]?[-1] == nil)
        #expect(doc[0] == nil)
        #expect(JSON.string("s")["k"] == nil)
        #expect(doc["obj"]?["k"]?.stringValue == "v")
    }

    @Test func typedViews() {
        #expect(doc["none"]?.isNull == true)
        #expect(doc["name"]?.isNull == false)
        #expect(doc["name"]?.stringValue == "gate")
        #expect(doc["n"]?.stringValue == nil)
        #expect(doc["ok"]?.boolValue == true)
        #expect(doc["n"]?.boolValue == nil)
        #expect(doc["list"]?.arrayValue == [1, "a"])
        #expect(doc["obj"]?.objectValue == ["k": "v"])
        #expect(doc["list"]?.objectValue == nil)
    }

    @Test func numericViews() {
        #expect(doc["n"]?.int64Value == 3)
        #expect(doc["n"]?.intValue == 3)
        #expect(doc["n"]?.doubleValue == 3)
        #expect(doc["big"]?.int64Value == 1000)  // integral double
        #expect(doc["x"]?.int64Value == nil)  // fractional double
        #expect(doc["x"]?.doubleValue == 2.5)
        #expect(JSON.double(9_223_372_036_854_775_808.0).int64Value == nil)  // out of Int64 range
        #expect(JSON.double(-9_223_372_036_854_775_808.0).int64Value == .min)
        #expect(JSON.double(.infinity).int64Value == nil)
        #expect(JSON.string("3").int64Value == nil)
        #expect(JSON.string("3").doubleValue == nil)
    }

    @Test func typeNames() {
        let names = [JSON.null, true, 1, 1.5, "s", [], [:]].map(\.typeName)
        #expect(names == ["null", "boolean", "integer", "number", "string", "array", "object"])
    }

    @Test func literals() {
        #expect(JSON(nilLiteral: ()) == .null)
        let i: JSON = 5
        let d: JSON = 5.5
        let b: JSON = false
        let s: JSON = "x"
        #expect(i == .int(5))
        #expect(d == .double(5.5))
        #expect(b == .bool(false))
        #expect(s == .string("x"))
        let o: JSON = ["a": 1, "a": 2]
        #expect(o == .object(["a": 2]))
    }

    @Test func hashableDistinguishesIntFromDouble() {
        #expect(JSON.int(1) != JSON.double(1))
        let set: Set<JSON> = [1, 1.0, "1", [1], ["1": 1], 1]
        #expect(set.count == 5)
    }
}
