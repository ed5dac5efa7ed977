/* The logic language in the browser: the same grammar and semantics as
   questionnaires/logic.py (the server stays authoritative). Never uses eval. */
(function (global) {
  "use strict";
  var MAX_LENGTH = 2000, MAX_DEPTH = 40;
  var KEYWORDS = { and: 1, or: 1, not: 1, "in": 1, "true": 1, "false": 1, "null": 1 };
  var TOKEN = /\s*(?:(\d+(?:\.\d+)?)|('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|([A-Za-z_][A-Za-z0-9_]*)|(==|!=|<=|>=|<|>|\+|-|\*|\/|\(|\)|\[|\]|,))/y;

  function LogicError(message) { this.name = "LogicError"; this.message = message; }
  LogicError.prototype = Object.create(Error.prototype);

  function tokenize(text) {
    var tokens = [], pos = 0, m;
    while (pos < text.length) {
      if (text.slice(pos).trim() === "") break;
      TOKEN.lastIndex = pos;
      m = TOKEN.exec(text);
      if (!m || TOKEN.lastIndex === pos) throw new LogicError("unexpected character at " + pos);
      if (m[1] !== undefined) tokens.push({ kind: "number", value: m[1] });
      else if (m[2] !== undefined) tokens.push({ kind: "string", value: m[2] });
      else if (m[3] !== undefined) tokens.push({ kind: KEYWORDS[m[3]] ? "keyword" : "name", value: m[3] });
      else tokens.push({ kind: "op", value: m[4] });
      pos = TOKEN.lastIndex;
    }
    tokens.push({ kind: "end", value: "" });
    return tokens;
  }

  function parse(text) {
    if (text.length > MAX_LENGTH) throw new LogicError("expression too long");
    var tokens = tokenize(text), i = 0, depth = 0;
    function peek() { var t = tokens[i]; if (t.kind !== "op" && t.kind !== "keyword") return false;
      for (var a = 0; a < arguments.length; a++) if (t.value === arguments[a]) return true; return false; }
    function take() { return tokens[i++]; }
    function expect(v) { var t = take(); if (t.value !== v) throw new LogicError("expected " + v); }
    function nested(f) { if (++depth > MAX_DEPTH) throw new LogicError("nested too deeply"); try { return f(); } finally { depth--; } }
    function or_() { var n = and_(); while (peek("or")) { take(); n = ["or", n, and_()]; } return n; }
    function and_() { var n = not_(); while (peek("and")) { take(); n = ["and", n, not_()]; } return n; }
    function not_() { if (peek("not")) { take(); return ["not", nested(not_)]; } return compare(); }
    function compare() {
      var n = sum();
      if (peek("==", "!=", "<", "<=", ">", ">=", "in")) { var op = take().value; return ["cmp", op, n, sum()]; }
      if (peek("not") && tokens[i + 1].value === "in") { i += 2; return ["cmp", "not in", n, sum()]; }
      return n;
    }
    function sum() { var n = product(); while (peek("+", "-")) { n = ["arith", take().value, n, product()]; } return n; }
    function product() { var n = unary(); while (peek("*", "/")) { n = ["arith", take().value, n, unary()]; } return n; }
    function unary() { if (peek("-")) { take(); return ["neg", nested(unary)]; } return atom(); }
    function args(closing) {
      var items = [];
      if (peek(closing)) { take(); return items; }
      items.push(or_());
      while (peek(",")) { take(); items.push(or_()); }
      expect(closing); return items;
    }
    function atom() {
      var t = take();
      if (t.kind === "number") return ["lit", parseFloat(t.value)];
      if (t.kind === "string") return ["lit", t.value.slice(1, -1).replace(/\\(.)/g, "$1")];
      if (t.kind === "keyword" && t.value === "true") return ["lit", true];
      if (t.kind === "keyword" && t.value === "false") return ["lit", false];
      if (t.kind === "keyword" && t.value === "null") return ["lit", null];
      if (t.kind === "name") {
        if (peek("(")) { take(); if (!FUNCTIONS[t.value]) throw new LogicError("unknown function " + t.value);
          return ["call", t.value].concat(nested(function () { return args(")"); })); }
        return ["var", t.value];
      }
      if (t.kind === "op" && t.value === "(") { var n = nested(or_); expect(")"); return n; }
      if (t.kind === "op" && t.value === "[") return ["list"].concat(nested(function () { return args("]"); }));
      throw new LogicError("unexpected " + (t.value || "end of expression"));
    }
    var node = or_();
    if (tokens[i].kind !== "end") throw new LogicError("unexpected " + tokens[i].value);
    return node;
  }

  function isNumber(v) { return typeof v === "number" && isFinite(v); }
  function numbers(values) { var out = []; values.forEach(function (v) {
    (Array.isArray(v) ? v : [v]).forEach(function (x) { if (isNumber(x)) out.push(x); }); }); return out; }
  function blank(v) { return v === null || v === undefined || v === "" || (Array.isArray(v) && v.length === 0); }
  function equal(a, b) { return a === b || (isNumber(a) && isNumber(b) && a === b); }
  var FUNCTIONS = {
    count: function () { return Array.prototype.filter.call(arguments, function (v) { return !blank(v); }).length; },
    sum: function () { return numbers(Array.from(arguments)).reduce(function (a, b) { return a + b; }, 0); },
    mean: function () { var n = numbers(Array.from(arguments)); return n.length ? n.reduce(function (a, b) { return a + b; }, 0) / n.length : null; },
    min: function () { var n = numbers(Array.from(arguments)); return n.length ? Math.min.apply(null, n) : null; },
    max: function () { var n = numbers(Array.from(arguments)); return n.length ? Math.max.apply(null, n) : null; },
    selected: function (value, choice) { return Array.isArray(value) ? value.indexOf(choice) >= 0 : value === choice; },
    answered: function (value) { return !blank(value); }
  };
  function truthy(v) { return !(v === null || v === undefined || v === false || v === 0 || v === "" || (Array.isArray(v) && v.length === 0)); }
  function contains(list, v) { return list.some(function (x) { return equal(x, v); }); }
  function compare(op, l, r) {
    if (op === "in" || op === "not in") {
      if (!Array.isArray(r)) return false;
      var found = Array.isArray(l) ? l.some(function (x) { return contains(r, x); }) : contains(r, l);
      return op === "in" ? found : !found;
    }
    if (l === null || l === undefined || r === null || r === undefined) return op === "!=" && !((l === null || l === undefined) && (r === null || r === undefined));
    if (Array.isArray(l) || Array.isArray(r)) return op === "==" ? JSON.stringify(l) === JSON.stringify(r) : op === "!=" ? JSON.stringify(l) !== JSON.stringify(r) : false;
    if (typeof l !== typeof r && op !== "==" && op !== "!=") return false;
    switch (op) { case "==": return l === r; case "!=": return l !== r; case "<": return l < r;
      case "<=": return l <= r; case ">": return l > r; case ">=": return l >= r; }
    return false;
  }
  function arith(op, l, r) {
    if (!isNumber(l) || !isNumber(r)) return null;
    if (op === "/") return r === 0 ? null : l / r;
    return op === "+" ? l + r : op === "-" ? l - r : l * r;
  }
  function evaluateNode(n, answers) {
    switch (n[0]) {
      case "lit": return n[1];
      case "var": var v = answers[n[1]]; return (v === undefined || v === "na" || v === "dk") ? null : v;
      case "list": return n.slice(1).map(function (c) { return evaluateNode(c, answers); });
      case "not": return !truthy(evaluateNode(n[1], answers));
      case "and": return truthy(evaluateNode(n[1], answers)) && truthy(evaluateNode(n[2], answers));
      case "or": return truthy(evaluateNode(n[1], answers)) || truthy(evaluateNode(n[2], answers));
      case "cmp": return compare(n[1], evaluateNode(n[2], answers), evaluateNode(n[3], answers));
      case "arith": return arith(n[1], evaluateNode(n[2], answers), evaluateNode(n[3], answers));
      case "neg": var x = evaluateNode(n[1], answers); return isNumber(x) ? -x : null;
      case "call": return FUNCTIONS[n[1]].apply(null, n.slice(2).map(function (c) { return evaluateNode(c, answers); }));
    }
    throw new LogicError("unknown node " + n[0]);
  }
  var cache = {};
  function evaluate(text, answers) { var tree = cache[text] || (cache[text] = parse(text)); return evaluateNode(tree, answers || {}); }
  function isShown(condition, answers) { return !condition || truthy(evaluate(condition, answers)); }

  global.HaiLongLogic = { parse: parse, evaluate: evaluate, isShown: isShown, truthy: truthy, LogicError: LogicError };
})(typeof window !== "undefined" ? window : globalThis);
