/* The logic language in the browser: the same grammar, limits and semantics as
   questionnaires/logic.py (the server stays authoritative; a test runs one table of
   expressions through both). Never uses eval or Function. */
(function (global) {
  "use strict";
  var MAX_LENGTH = 2000, MAX_DEPTH = 40, MAX_TREE_DEPTH = 100, MAX_NUMBER_LENGTH = 15;
  var SAFE_INTEGER = 9007199254740992; /* 2**53 */
  var KEYWORDS = { and: 1, or: 1, not: 1, "in": 1, "true": 1, "false": 1, "null": 1 };
  var SPACE = /^[ \t\r\n]*$/;
  var TOKEN = /[ \t\r\n]*(?:([0-9]+(?:\.[0-9]+)?)|('(?:[^'\\]|\\[\s\S])*'|"(?:[^"\\]|\\[\s\S])*")|([A-Za-z_][A-Za-z0-9_]*)|(==|!=|<=|>=|<|>|\+|-|\*|\/|\(|\)|\[|\]|,|\.))/y;
  var ARITY = {
    count: [0, null], sum: [0, null], mean: [0, null], min: [0, null], max: [0, null],
    selected: [2, 2], answered: [1, 1], count_selected: [1, 1], "if": [3, 3],
    round: [1, 2], abs: [1, 1], coalesce: [1, null], length: [1, 1]
  };
  var has = function (obj, key) { return Object.prototype.hasOwnProperty.call(obj, key); };

  function LogicError(message, position) {
    this.name = "LogicError"; this.message = message; this.position = position === undefined ? null : position;
  }
  LogicError.prototype = Object.create(Error.prototype);
  LogicError.prototype.constructor = LogicError;

  function tokenize(text) {
    var tokens = [], pos = 0, m;
    while (pos < text.length) {
      if (SPACE.test(text.slice(pos))) break;
      TOKEN.lastIndex = pos;
      m = TOKEN.exec(text);
      if (!m || TOKEN.lastIndex === pos) {
        var where = pos; while (" \t\r\n".indexOf(text.charAt(where)) >= 0) where++;
        throw new LogicError("unexpected character " + JSON.stringify(text.charAt(where)) + " at position " + where, where);
      }
      var start = TOKEN.lastIndex - m[0].replace(/^[ \t\r\n]*/, "").length;
      if (m[1] !== undefined) {
        if (m[1].length > MAX_NUMBER_LENGTH) throw new LogicError("number too long at position " + start, start);
        tokens.push({ kind: "number", value: m[1], position: start });
      } else if (m[2] !== undefined) tokens.push({ kind: "string", value: m[2], position: start });
      else if (m[3] !== undefined) tokens.push({ kind: has(KEYWORDS, m[3]) ? "keyword" : "name", value: m[3], position: start });
      else tokens.push({ kind: "op", value: m[4], position: start });
      pos = TOKEN.lastIndex;
    }
    tokens.push({ kind: "end", value: "", position: text.length });
    return tokens;
  }

  function children(n) {
    if (n[0] === "lit" || n[0] === "var") return [];
    return (n[0] === "cmp" || n[0] === "arith" || n[0] === "call") ? n.slice(2) : n.slice(1);
  }

  function treeDepth(node) {
    var deepest = 0, stack = [[node, 1]];
    while (stack.length) {
      var item = stack.pop(); if (item[1] > deepest) deepest = item[1];
      children(item[0]).forEach(function (c) { stack.push([c, item[1] + 1]); });
    }
    return deepest;
  }

  function parseText(text) {
    if (typeof text !== "string") throw new LogicError("an expression must be text");
    if (text.length > MAX_LENGTH) throw new LogicError("expression longer than " + MAX_LENGTH + " characters", MAX_LENGTH);
    var tokens = tokenize(text), i = 0, depth = 0;
    function peek() { var t = tokens[i]; if (t.kind !== "op" && t.kind !== "keyword") return false;
      for (var a = 0; a < arguments.length; a++) if (t.value === arguments[a]) return true; return false; }
    function take() { return tokens[i++]; }
    function expect(v) { var t = take();
      if (t.value !== v || (t.kind !== "op" && t.kind !== "keyword")) throw new LogicError("expected '" + v + "' at position " + t.position, t.position); }
    function nested(f) { if (++depth > MAX_DEPTH) throw new LogicError("expression is nested too deeply"); try { return f(); } finally { depth--; } }
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
      if (t.kind === "number") return ["lit", t.value.indexOf(".") >= 0 ? parseFloat(t.value) : parseInt(t.value, 10)];
      if (t.kind === "string") return ["lit", t.value.slice(1, -1).replace(/\\([\s\S])/g, "$1")];
      if (t.kind === "keyword" && t.value === "true") return ["lit", true];
      if (t.kind === "keyword" && t.value === "false") return ["lit", false];
      if (t.kind === "keyword" && t.value === "null") return ["lit", null];
      if (t.kind === "name") {
        if (peek("(")) {
          take();
          if (!has(ARITY, t.value)) throw new LogicError("unknown function '" + t.value + "' at position " + t.position, t.position);
          var a = nested(function () { return args(")"); }), arity = ARITY[t.value];
          if (a.length < arity[0] || (arity[1] !== null && a.length > arity[1]))
            throw new LogicError("wrong number of arguments to " + t.value + "() at position " + t.position, t.position);
          return ["call", t.value].concat(a);
        }
        if (peek(".")) {
          take(); var row = take();
          if (row.kind !== "name") throw new LogicError("expected a row code after '.' at position " + row.position, row.position);
          return ["var", t.value + "." + row.value];
        }
        return ["var", t.value];
      }
      if (t.kind === "op" && t.value === "(") { var n = nested(or_); expect(")"); return n; }
      if (t.kind === "op" && t.value === "[") return ["list"].concat(nested(function () { return args("]"); }));
      throw new LogicError("unexpected " + JSON.stringify(t.value || "end of expression") + " at position " + t.position, t.position);
    }
    if (tokens[0].kind === "end") throw new LogicError("empty expression", 0);
    var node = or_();
    if (tokens[i].kind !== "end") throw new LogicError("unexpected " + JSON.stringify(tokens[i].value) + " at position " + tokens[i].position, tokens[i].position);
    if (treeDepth(node) > MAX_TREE_DEPTH) throw new LogicError("expression is nested too deeply");
    return node;
  }

  function references(node) {
    var found = {}, stack = [node];
    while (stack.length) {
      var n = stack.pop();
      if (n[0] === "var") found[n[1].split(".")[0]] = true;
      children(n).forEach(function (c) { stack.push(c); });
    }
    return Object.keys(found).sort();
  }

  function isNumber(v) { return typeof v === "number" && isFinite(v); }
  function isObject(v) { return v !== null && typeof v === "object" && !Array.isArray(v); }
  function blank(v) { return v === null || v === undefined || v === "" || (Array.isArray(v) && v.length === 0); }
  function numbers(values) { var out = []; values.forEach(function (v) {
    (Array.isArray(v) ? v : [v]).forEach(function (x) { if (isNumber(x)) out.push(x); }); }); return out; }
  function equal(a, b) {
    if (typeof a === "boolean" || typeof b === "boolean") return a === b;
    if (isNumber(a) && isNumber(b)) return a === b;
    if (Array.isArray(a) && Array.isArray(b)) {
      if (a.length !== b.length) return false;
      for (var k = 0; k < a.length; k++) if (!equal(a[k], b[k])) return false;
      return true;
    }
    if (isObject(a) && isObject(b)) {
      var ka = Object.keys(a).sort(), kb = Object.keys(b).sort();
      if (!equal(ka, kb)) return false;
      return ka.every(function (key) { return equal(a[key], b[key]); });
    }
    if (typeof a !== typeof b || Array.isArray(a) !== Array.isArray(b)) return false;
    return a === b;
  }
  function arithNumbers(op, l, r) {
    var result;
    if (op === "/") return r === 0 ? null : l / r;
    result = op === "+" ? l + r : op === "-" ? l - r : l * r;
    return isFinite(result) ? result : null;
  }
  function arith(op, l, r) { return (isNumber(l) && isNumber(r)) ? arithNumbers(op, l, r) : null; }
  function truthy(v) {
    if (v === null || v === undefined || v === false || v === "") return false;
    if (typeof v === "number") return isFinite(v) ? v !== 0 : true;
    return !(Array.isArray(v) && v.length === 0);
  }
  function total(list) { return list.reduce(function (a, b) { return arithNumbers("+", a, b); }, 0); }
  var FUNCTIONS = {
    count: function () { return Array.prototype.filter.call(arguments, function (v) { return !blank(v); }).length; },
    sum: function () { return total(numbers(Array.from(arguments))); },
    mean: function () { var n = numbers(Array.from(arguments)); return n.length ? arithNumbers("/", total(n), n.length) : null; },
    min: function () { var n = numbers(Array.from(arguments)); return n.length ? Math.min.apply(null, n) : null; },
    max: function () { var n = numbers(Array.from(arguments)); return n.length ? Math.max.apply(null, n) : null; },
    selected: function (value, choice) {
      return Array.isArray(value) ? value.some(function (v) { return equal(v, choice); }) : equal(value, choice); },
    answered: function (value) { return !blank(value); },
    count_selected: function (value) { return Array.isArray(value) ? value.length : (blank(value) ? 0 : 1); },
    "if": function (c, yes, no) { return truthy(c) ? yes : no; },
    round: function (x, digits) {
      if (digits === undefined) digits = 0;
      if (!isNumber(x) || !isNumber(digits) || digits !== Math.floor(digits) || digits < 0 || digits > 10) return null;
      var scale = Math.pow(10, digits), r = Math.floor(Math.abs(x) * scale + 0.5) / scale;
      return (x < 0 || (x === 0 && 1 / x < 0)) ? -r : r;
    },
    abs: function (x) { return isNumber(x) ? Math.abs(x) : null; },
    coalesce: function () { for (var k = 0; k < arguments.length; k++) if (!blank(arguments[k])) return arguments[k]; return null; },
    length: function (v) { return typeof v === "string" ? Array.from(v).length : Array.isArray(v) ? v.length : null; }
  };
  function compare(op, l, r) {
    if (op === "in" || op === "not in") {
      if (!Array.isArray(r)) return false;
      var found = Array.isArray(l)
        ? l.some(function (x) { return r.some(function (y) { return equal(x, y); }); })
        : r.some(function (y) { return equal(l, y); });
      return op === "in" ? found : !found;
    }
    var ln = l === null || l === undefined, rn = r === null || r === undefined;
    if (ln || rn) return op === "!=" && !(ln && rn);
    if (op === "==") return equal(l, r);
    if (op === "!=") return !equal(l, r);
    var comparable = (isNumber(l) && isNumber(r)) || (typeof l === "string" && typeof r === "string");
    if (!comparable) return false;
    if (typeof l === "string") { l = Array.from(l).map(function (c) { return c.codePointAt(0); }); r = Array.from(r).map(function (c) { return c.codePointAt(0); }); return codeOrder(op, l, r); }
    switch (op) { case "<": return l < r; case "<=": return l <= r; case ">": return l > r; case ">=": return l >= r; }
    return false;
  }
  /* Python compares strings by code point, JavaScript by UTF-16 unit: compare code points. */
  function codeOrder(op, a, b) {
    var k = 0, c = 0;
    while (k < a.length && k < b.length && a[k] === b[k]) k++;
    if (k < a.length && k < b.length) c = a[k] < b[k] ? -1 : 1; else c = a.length - b.length;
    return op === "<" ? c < 0 : op === "<=" ? c <= 0 : op === ">" ? c > 0 : c >= 0;
  }
  function lookup(name, answers) {
    var dot = name.indexOf("."), code = dot < 0 ? name : name.slice(0, dot);
    var v = has(answers, code) ? answers[code] : null;
    if (dot >= 0) v = isObject(v) && has(v, name.slice(dot + 1)) ? v[name.slice(dot + 1)] : null;
    return (v === undefined || v === "na" || v === "dk") ? null : v;
  }
  function evaluateNode(n, answers) {
    switch (n[0]) {
      case "lit": return n[1];
      case "var": return lookup(n[1], answers);
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
  var cache = Object.create(null);
  function parse(text) { if (typeof text === "string" && cache[text]) return cache[text]; var tree = parseText(text); cache[text] = tree; return tree; }
  function evaluate(text, answers) { return evaluateNode(parse(text), answers || {}); }
  function isShown(condition, answers) { return !condition || truthy(evaluate(condition, answers)); }

  global.HaiLongLogic = {
    parse: parse, evaluate: evaluate, evaluateNode: evaluateNode, isShown: isShown,
    references: references, truthy: truthy, LogicError: LogicError
  };
})(typeof window !== "undefined" ? window : globalThis);
