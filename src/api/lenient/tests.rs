//! The lenient readers through serde_json; tests/wire.rs runs the same kinds of input in the browser.
use super::*;
use serde_json::from_str;

#[derive(Debug, Default, PartialEq, Deserialize)]
struct Inner {
    #[serde(default, deserialize_with = "opt")]
    n: Option<u64>,
}

#[derive(Debug, Default, PartialEq, Deserialize)]
struct Probe {
    #[serde(default, deserialize_with = "opt")]
    s: Option<String>,
    #[serde(default, deserialize_with = "or_default")]
    d: String,
    #[serde(default, deserialize_with = "opt")]
    u: Option<u64>,
    #[serde(default, deserialize_with = "opt")]
    u32: Option<u32>,
    #[serde(default, deserialize_with = "opt")]
    i: Option<i64>,
    #[serde(default, deserialize_with = "opt")]
    f: Option<f64>,
    #[serde(default, deserialize_with = "or_default")]
    z: f64,
    #[serde(default, deserialize_with = "opt")]
    b: Option<bool>,
    #[serde(default, deserialize_with = "text")]
    t: Option<String>,
    #[serde(default, deserialize_with = "object")]
    o: Option<Inner>,
    #[serde(default, deserialize_with = "texts")]
    m: Vec<String>,
}

fn probe(json: &str) -> Probe {
    from_str(json).unwrap()
}

#[test]
fn strings_take_numbers_and_booleans_as_text() {
    assert_eq!(probe(r#"{"s":"x"}"#).s.as_deref(), Some("x"));
    assert_eq!(probe(r#"{"s":42}"#).s.as_deref(), Some("42"));
    assert_eq!(probe(r#"{"s":-3}"#).s.as_deref(), Some("-3"));
    assert_eq!(probe(r#"{"s":1.5}"#).s.as_deref(), Some("1.5"));
    assert_eq!(probe(r#"{"s":true}"#).s.as_deref(), Some("true"));
    for odd in ["null", "[1]", r#"{"a":{"b":[]}}"#] {
        let p = probe(&format!(r#"{{"s":{odd},"d":{odd},"u":7}}"#));
        assert_eq!((p.s, p.d.as_str(), p.u), (None, "", Some(7)), "{odd}");
    }
}

#[test]
fn numbers_from_numbers_and_numeric_strings() {
    let p = probe(r#"{"u":" 12 ","u32":4294967296,"i":"-5","f":" 1.5e3 ","z":"x"}"#);
    assert_eq!(
        (p.u, p.u32, p.i, p.f, p.z),
        (Some(12), None, Some(-5), Some(1500.0), 0.0)
    );
    let p = probe(r#"{"u":300.9,"u32":-1,"i":2.5,"f":"1e999","z":7}"#);
    assert_eq!(
        (p.u, p.u32, p.i, p.f, p.z),
        (Some(300), None, None, None, 7.0)
    );
    let p = probe(r#"{"u":"300.0x","f":"+1","i":true}"#);
    assert_eq!((p.u, p.f, p.i), (None, None, None));
    assert_eq!(probe(r#"{"u":-4}"#).u, None);
}

#[test]
fn booleans_from_words() {
    assert_eq!(probe(r#"{"b":"FALSE"}"#).b, Some(false));
    assert_eq!(probe(r#"{"b":"True"}"#).b, Some(true));
    assert_eq!(probe(r#"{"b":true}"#).b, Some(true));
    assert_eq!(probe(r#"{"b":"yes"}"#).b, None);
    assert_eq!(probe(r#"{"b":1}"#).b, None);
}

#[test]
fn text_keeps_strings_and_writes_the_rest_as_json() {
    assert_eq!(
        probe(r#"{"t":"no backup"}"#).t.as_deref(),
        Some("no backup")
    );
    assert_eq!(probe(r#"{"t":null}"#).t, None);
    assert_eq!(probe(r#"{"t":"null"}"#).t.as_deref(), Some("null"));
    assert_eq!(
        probe(r#"{"t":{"code":5,"why":["a\"b",null,true,-1.5]}}"#)
            .t
            .as_deref(),
        Some(r#"{"code":5,"why":["a\"b",null,true,-1.5]}"#)
    );
    assert_eq!(probe(r#"{"t":[]}"#).t.as_deref(), Some("[]"));
    assert_eq!(probe(r#"{"t":{}}"#).t.as_deref(), Some("{}"));
    assert_eq!(probe(r#"{"t":"\n"}"#).t.as_deref(), Some("\n"));
    assert_eq!(
        probe(r#"{"t":["\n\u0001"]}"#).t.as_deref(),
        Some(r#"["\n\u0001"]"#)
    );
    assert_eq!(
        probe(r#"{"m":["a",3,null,{"x":1}]}"#).m,
        ["a", "3", "null", r#"{"x":1}"#]
    );
    assert_eq!(probe(r#"{"m":"one"}"#).m, ["one"]);
    assert!(probe(r#"{"m":{"a":1}}"#).m.is_empty());
}

#[test]
fn nested_objects_only() {
    assert_eq!(
        probe(r#"{"o":{"n":"3","x":1}}"#).o,
        Some(Inner { n: Some(3) })
    );
    for odd in ["\"oops\"", "[1]", "null", "5", "true"] {
        let p = probe(&format!(r#"{{"o":{odd},"u":1}}"#));
        assert_eq!((p.o, p.u), (None, Some(1)), "{odd}");
    }
}

#[derive(Debug, PartialEq, Deserialize)]
struct Item {
    #[serde(deserialize_with = "string")]
    id: String,
}

#[derive(Debug, Deserialize)]
struct Page {
    #[serde(default, deserialize_with = "list")]
    items: Counted<Item>,
}

#[test]
fn lists_skip_and_count_what_they_cannot_read() {
    let p: Page =
        from_str(r#"{"items":[{"id":"a"},{"name":"no id"},7,null,["b"],{"id":5},{"id":[1,{"a":"}"}],"x":[]},{"id":"c"}]}"#)
            .unwrap();
    let ids: Vec<&str> = p.items.items.iter().map(|i| i.id.as_str()).collect();
    assert_eq!((ids, p.items.skipped), (vec!["a", "c"], 6));
    let p: Page = from_str(r#"{"items":null}"#).unwrap();
    assert_eq!(p.items, Counted::default());
    let p: Page = from_str("{}").unwrap();
    assert_eq!(p.items, Counted::default());
    assert!(from_str::<Page>(r#"{"items":{}}"#).is_err());
    assert!(from_str::<Page>(r#"{"items":"x"}"#).is_err());
}

#[test]
fn an_object_at_the_top() {
    assert_eq!(from_str::<Object<Inner>>("[1, 2]").unwrap(), Object(None));
    assert_eq!(
        from_str::<Object<Inner>>("{}").unwrap(),
        Object(Some(Inner::default()))
    );
}
