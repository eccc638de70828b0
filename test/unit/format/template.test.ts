// text/template semantics as Docker's CLI runs them: every expected value here is what Docker CLI 28.2.2 printed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { executeTemplate, GoFloat, parseTemplate, TemplateError } from '../../../src/cli/format/template';
import { nilMap, nilSlice } from '../../../src/cli/format/values';

type Expected = string | { error: string; exitCode: number };

/**
 * Runs each [template, expected] row. Docker prints parse errors as "template parsing error: ..." and,
 * for `docker version`, execution errors as text/template's own message, which is goMessage here.
 */
function check(group: string, data: unknown, name: string, rows: Array<[string, Expected]>, execMessage: 'goMessage' | 'message') {
  for (const [template, expected] of rows) {
    test(`${group}: ${JSON.stringify(template)}`, () => {
      let actual: Expected;
      try {
        actual = executeTemplate(parseTemplate(template, name), data);
      } catch (err) {
        if (!(err instanceof TemplateError)) throw err;
        actual = { error: err.phase === 'parse' ? err.message : err[execMessage], exitCode: err.exitCode };
      }
      assert.equal(actual, expected);
    });
  }
}

/** The client half of `docker version`: `docker version --format '{{json .Client}}'`. */
const version = {
  Client: {
    Version: "28.2.2",
    ApiVersion: "1.41",
    DefaultAPIVersion: "1.50",
    GitCommit: "e6534b4",
    GoVersion: "go1.24.3",
    Os: "linux",
    Arch: "amd64",
    BuildTime: "Fri May 30 12:07:14 2025",
    Context: "default"
  },
};

// Expected: `docker version --format 'TEMPLATE'` (stdout less the newline docker adds, or stderr and exit code).
// Literals and functions need no data, which makes docker version a clean way to run any template.
check('version', version, 'version', [
["{{.Client.Version}}", "28.2.2"],
  ["{{range 3}}{{.}}{{end}}", "012"],
  ["{{range $i, $e := 3}}{{.}}{{end}}", {"error":"template: version:1:18: executing \"version\" at <3>: can't use 3 to iterate over more than one variable","exitCode":1}],
  ["{{range \"ab\"}}{{.}}{{end}}", {"error":"template: version:1:8: executing \"version\" at <\"ab\">: range can't iterate over ab","exitCode":1}],
  ["{{range 0}}x{{else}}empty{{end}}", "empty"],
  ["{{1e6}} {{3.0}} {{1.5}} {{0x10}} {{1_000}} {{0o17}} {{0b101}} {{'a'}} {{-3}} {{+3}} {{.5}} {{1e-5}} {{123456789.0}} {{1e21}} {{0.000001}}", "1e+06 3 1.5 16 1000 15 5 97 -3 3 0.5 1e-05 1.23456789e+08 1e+21 1e-06"],
  ["{{printf \"%d|%5d|%-5d|%05d|%x|%X|%o|%b|%c|%q|%U\" 42 42 42 42 255 255 8 5 65 65 65}}", "42|   42|42   |00042|ff|FF|10|101|A|'A'|U+0041"],
  ["{{printf \"%s|%10s|%-10s|%.2s|%q|%x|%X|% x|%v|%T\" \"héllo\" \"ab\" \"ab\" \"héllo\" \"a\\\"b\n\" \"hi\" \"hi\" \"hi\" \"v\" \"t\"}}", {"error":"template parsing error: template: version:1: unterminated quoted string","exitCode":64}],
  ["{{printf \"%f|%.2f|%8.3f|%e|%g|%G|%v|%E\" 3.14159 3.14159 3.14159 1234.5678 1234.5678 1e-7 2.5 1e6}}", "3.141590|3.14|   3.142|1.234568e+03|1234.5678|1E-07|2.5|1.000000E+06"],
  ["{{printf \"%t|%v|%5t|%d\" true false true true}}", "true|false| true|%!d(bool=true)"],
  ["{{printf \"%%|%d %d|%d|%!|%z\" 1 2 3}}", "%|1 2|3|%!!(MISSING)|%!z(MISSING)"],
  ["{{printf \"%d\"}}", "%!d(MISSING)"],
  ["{{printf \"%s\" nil}} {{printf \"%v\" nil}} {{printf \"%d\" nil}}", "%!s(<nil>) <nil> %!d(<nil>)"],
  ["{{printf \"%v %v\" .Client.Os}}", "linux %!v(MISSING)"],
  ["{{printf \"%[2]d %[1]d\" 1 2}}", "2 1"],
  ["{{printf \"%*d|%-*d|\" 5 1 5 2}}", "    1|2    |"],
  ["{{printf \"%+d|% d|%+.1f|%#x|%#o|%#v|%#q\" 5 5 2.0 255 8 \"s\" \"s\"}}", "+5| 5|+2.0|0xff|010|\"s\"|`s`"],
  ["{{printf \"%6.2f|%-8.3s|%08.3f|%x|%X\" -3.14159 \"abcdef\" 3.14159 -255 3.5}}", " -3.14|abc     |0003.142|-ff|0X1.CP+01"],
  ["{{print 1 2 \"a\" \"b\" 3 true nil 4}}", "1 2ab3 true <nil> 4"],
  ["{{println 1 2 \"a\" \"b\" 3}}", "1 2 a b 3\n"],
  ["{{print}}|{{println}}|{{printf \"\"}}", "|\n|"],
  ["{{eq 1 1}} {{eq 1 2 1}} {{eq \"a\" \"a\"}} {{eq 1 1.0}}", {"error":"template: version:1:41: executing \"version\" at <eq 1 1.0>: error calling eq: incompatible types for comparison","exitCode":1}],
  ["{{eq \"a\" 1}}", {"error":"template: version:1:2: executing \"version\" at <eq \"a\" 1>: error calling eq: incompatible types for comparison","exitCode":1}],
  ["{{eq nil nil}}", "true"],
  ["{{eq .Client.Os}}", {"error":"template: version:1:2: executing \"version\" at <eq .Client.Os>: error calling eq: missing argument for comparison","exitCode":1}],
  ["{{ne 1 2}} {{lt 1 2}} {{le 2 2}} {{gt \"b\" \"a\"}} {{ge 1.5 2.5}}", "true true true true false"],
  ["{{lt true false}}", {"error":"template: version:1:2: executing \"version\" at <lt true false>: error calling lt: invalid type for comparison","exitCode":1}],
  ["{{lt 1 \"a\"}}", {"error":"template: version:1:2: executing \"version\" at <lt 1 \"a\">: error calling lt: incompatible types for comparison","exitCode":1}],
  ["{{ne 1 2 3}}", {"error":"template: version:1:2: executing \"version\" at <ne>: wrong number of args for ne: want 2 got 3","exitCode":1}],
  ["{{and 1 0 2}} {{and 1 2}} {{or 0 \"\" \"x\"}} {{or 0 \"\"}} {{not 0}} {{not \"a\"}} {{and}}", {"error":"template: version:1:78: executing \"version\" at <and>: wrong number of args for and: want at least 1 got 0","exitCode":1}],
  ["{{or 1 .Nope}}", "1"],
  ["{{and 0 .Nope}}", "0"],
  ["{{not}}", {"error":"template: version:1:2: executing \"version\" at <not>: wrong number of args for not: want 1 got 0","exitCode":1}],
  ["{{len \"héllo\"}} {{len .Client.Os}}", "6 5"],
  ["{{index \"abc\" 1}} {{slice \"abcdef\" 1 3}} {{slice \"abc\" 1}} {{slice \"abc\"}}", "98 bc bc abc"],
  ["{{index \"abc\" 5}}", {"error":"template: version:1:2: executing \"version\" at <index \"abc\" 5>: error calling index: index out of range: 5","exitCode":1}],
  ["{{slice \"abc\" 2 1}}", {"error":"template: version:1:2: executing \"version\" at <slice \"abc\" 2 1>: error calling slice: invalid slice index: 2 > 1","exitCode":1}],
  ["{{split \"a,b,c\" \",\"}} {{len (split \"a,b,c\" \",\")}} {{index (split \"a,b,c\" \",\") 1}} {{join (split \"a,b,c\" \",\") \"-\"}} {{split \"\" \",\"}} {{split \"abc\" \"\"}}", "[a b c] 3 b a-b-c [] [a b c]"],
  ["{{upper \"héllo\"}} {{lower \"HÉLLO\"}} {{title \"hello wORLD foo-bar a_b x.y 1a\"}} {{truncate \"abcdef\" 3}} {{truncate \"ab\" 5}} {{truncate \"ab\" 2}}", "HÉLLO héllo Hello WORLD Foo-Bar A_b X.Y 1a abc ab ab"],
  ["[{{pad \"ab\" 1 2}}] [{{pad \"\" 1 2}}]", "[ ab  ] []"],
  ["{{pad \"ab\" -1 2}}", {"error":"template: version:1:2: executing \"version\" at <pad \"ab\" -1 2>: error calling pad: strings: negative Repeat count","exitCode":1}],
  ["{{truncate \"ab\" -1}}", {"error":"template: version:1:2: executing \"version\" at <truncate \"ab\" -1>: error calling truncate: runtime error: slice bounds out of range [:-1]","exitCode":1}],
  ["{{json \"a<b>&c\\u2028\\t\\u0001\"}} {{json 1.0}} {{json 1e21}} {{json 0.0000001}} {{json nil}} {{json true}} {{json (split \"a,b\" \",\")}}", "\"a<b>&c\\u2028\\t\\u0001\" 1 1e+21 1e-7 null true [\"a\",\"b\"]"],
  ["{{join \"abc\" \",\"}}", {"error":"template: version:1:7: executing \"version\" at <\"abc\">: can't handle \"abc\" for arg of type []string","exitCode":1}],
  ["{{upper 1}}", {"error":"template: version:1:8: executing \"version\" at <1>: expected string; found 1","exitCode":1}],
  ["{{truncate \"abc\" \"1\"}}", {"error":"template: version:1:17: executing \"version\" at <\"1\">: expected integer; found \"1\"","exitCode":1}],
  ["{{json}}", {"error":"template: version:1:2: executing \"version\" at <json>: wrong number of args for json: want 1 got 0","exitCode":1}],
  ["{{json 1 2}}", {"error":"template: version:1:2: executing \"version\" at <json>: wrong number of args for json: want 1 got 2","exitCode":1}],
  ["{{.Client.Version.Nope.More.Stuff.X}}", {"error":"template: version:1:9: executing \"version\" at <.Client.Version.Nope.More.Stuff.X>: can't evaluate field Nope in type string","exitCode":1}],
  ["{{printf \"%d %s %s %s\" 1 .Client.Version.Nope \"bbbbbbbbbbbbbbbbbbbbbbbbbbbb\"}}", {"error":"template: version:1:32: executing \"version\" at <.Client.Version.Nope>: can't evaluate field Nope in type string","exitCode":1}],
  ["line1\n{{.Client.Version.Nope}}", {"error":"template: version:2:9: executing \"version\" at <.Client.Version.Nope>: can't evaluate field Nope in type string","exitCode":1}],
  ["line1\n  {{.Client.Os.Nope}}", {"error":"template: version:2:11: executing \"version\" at <.Client.Os.Nope>: can't evaluate field Nope in type string","exitCode":1}],
  ["{{.Client.Os | printf \"%s\" | len | printf \"%d\"}}", "5"],
  ["{{\"x\" | printf \"%s%s\" \"y\"}}", "yx"],
  ["{{1 | printf}}", {"error":"template: version:1:6: executing \"version\" at <printf>: wrong type for value; expected string; got int","exitCode":1}],
  ["{{nil}}", {"error":"template: version:1:2: executing \"version\" at <nil>: nil is not a command","exitCode":1}],
  ["{{nil.X}}", {"error":"template parsing error: template: version:1: unexpected . after term \"nil\"","exitCode":64}],
  ["{{\"a\".X}}", {"error":"template parsing error: template: version:1: unexpected . after term \"\\\"a\\\"\"","exitCode":64}],
  ["{{(nil).X}}", {"error":"template: version:1:3: executing \"version\" at <nil>: nil is not a command","exitCode":1}],
  ["{{(1).X}}", {"error":"template: version:1:3: executing \"version\" at <1>: can't evaluate field X in type int","exitCode":1}],
  ["{{(\"a\").X}}", {"error":"template: version:1:3: executing \"version\" at <\"a\">: can't evaluate field X in type string","exitCode":1}],
  ["{{$x := 1}}{{$x = 2}}{{$x}}{{if true}}{{$x = 3}}{{$y := 4}}{{end}}{{$x}}", "23"],
  ["{{if true}}{{$y := 4}}{{end}}{{$y}}", {"error":"template parsing error: template: version:1: undefined variable \"$y\"","exitCode":64}],
  ["{{with $x := \"a\"}}{{$x}}{{.}}{{end}}", "aa"],
  ["{{with \"\"}}x{{else}}y{{end}}{{with 0}}x{{else with 2}}[{{.}}]{{end}}", "y[2]"],
  ["{{if 0}}a{{else if \"\"}}b{{else if 3}}c{{else}}d{{end}}", "c"],
  ["{{range $i, $e := split \"a,b,c\" \",\"}}{{$i}}={{$e}};{{end}}", "0=a;1=b;2=c;"],
  ["{{range $e := split \"a,b,c\" \",\"}}{{$e}}{{.}};{{end}}", "aa;bb;cc;"],
  ["{{range split \"a,b,c\" \",\"}}{{if eq . \"b\"}}{{continue}}{{end}}{{.}}{{end}}|{{range split \"a,b,c\" \",\"}}{{if eq . \"b\"}}{{break}}{{end}}{{.}}{{end}}", "ac|a"],
  ["{{break}}", {"error":"template parsing error: template: version:1: {{break}} outside {{range}}","exitCode":64}],
  ["{{range $i, $e, $f := 1}}{{end}}", {"error":"template parsing error: template: version:1: too many declarations in range","exitCode":64}],
  ["{{$a, $b := 1}}", {"error":"template parsing error: template: version:1: too many declarations in command","exitCode":64}],
  ["{{range $a, 1 := 1}}{{end}}", {"error":"template parsing error: template: version:1: range can only initialize variables","exitCode":64}],
  ["a  {{- \"b\" -}}  c", "abc"],
  ["a  {{-\"b\"}}  c", {"error":"template parsing error: template: version:1: illegal number syntax: \"-\"","exitCode":64}],
  ["a {{- 3}} {{-3}} c", "a3 -3 c"],
  ["a\n\\t{{- /* comment */ -}}\n\\tb", "a\n\\t\\tb"],
  ["a{{/* c */}}b{{- /* c */}}  c {{/*c*/ -}}  d", "ab  c d"],
  ["{{/* c */ }}", {"error":"template parsing error: template: version:1: comment ends before closing delimiter","exitCode":64}],
  ["{{ /* c */}}", {"error":"template parsing error: template: version:1: unexpected \"/\" in command","exitCode":64}],
  ["{{/* c", {"error":"template parsing error: template: version:1: unclosed comment","exitCode":64}],
  ["{{.Client.Os", {"error":"template parsing error: template: version:1: unclosed action","exitCode":64}],
  ["{{.Client.Os }", {"error":"template parsing error: template: version:1: unexpected \"}\" in operand","exitCode":64}],
  ["{{if true}}x", {"error":"template parsing error: template: version:1: unexpected EOF","exitCode":64}],
  ["{{if true}}x{{else}}y{{else}}z{{end}}", {"error":"template parsing error: template: version:1: expected end; found {{else}}","exitCode":64}],
  ["{{range 1}}{{else if true}}{{end}}", {"error":"template parsing error: template: version:1: unexpected <if> in input","exitCode":64}],
  ["{{else}}", {"error":"template parsing error: template: version:1: unexpected {{else}}","exitCode":64}],
  ["{{with}}", {"error":"template parsing error: template: version:1: missing value for with","exitCode":64}],
  ["{{.Client.Os |}}", "linux"],
  ["{{| .Client.Os}}", {"error":"template parsing error: template: version:1: unexpected \"|\" in command","exitCode":64}],
  ["{{.Client.Os | \"a\"}}", {"error":"template parsing error: template: version:1: non executable command in pipeline stage 2","exitCode":64}],
  ["{{\"unterminated}}", {"error":"template parsing error: template: version:1: unterminated quoted string","exitCode":64}],
  ["{{`raw\nstring`}}", "raw\nstring"],
  ["{{\"a\\x41\\u00e9\n\"}}", {"error":"template parsing error: template: version:1: unterminated quoted string","exitCode":64}],
  ["{{\"a\\q\"}}", {"error":"template parsing error: template: version:1: invalid syntax","exitCode":64}],
  ["{{'ab'}}", {"error":"template parsing error: template: version:1: malformed character constant: 'ab'","exitCode":64}],
  ["{{1a}}", {"error":"template parsing error: template: version:1: bad number syntax: \"1a\"","exitCode":64}],
  ["{{0x}}", {"error":"template parsing error: template: version:1: illegal number syntax: \"0x\"","exitCode":64}],
  ["{{99999999999999999999}}", {"error":"template parsing error: template: version:1: integer overflow: \"99999999999999999999\"","exitCode":64}],
  ["{{.Client.Os(1)}}", {"error":"template parsing error: template: version:1: unexpected \"(\" in operand","exitCode":64}],
  ["{{(.Client.Os}}", {"error":"template parsing error: template: version:1: unclosed left paren","exitCode":64}],
  ["{{.Client.Os)}}", {"error":"template parsing error: template: version:1: unexpected right paren","exitCode":64}],
  ["{{#}}", {"error":"template parsing error: template: version:1: unexpected \"#\" in command","exitCode":64}],
  ["{{é}}", {"error":"template parsing error: template: version:1: function \"é\" not defined","exitCode":64}],
  ["{{$x := }}", {"error":"template parsing error: template: version:1: missing value for command","exitCode":64}],
  ["{{ }}", {"error":"template parsing error: template: version:1: missing value for command","exitCode":64}],
  ["{{}}", {"error":"template parsing error: template: version:1: missing value for command","exitCode":64}],
  ["{{.A-B}}", {"error":"template parsing error: template: version:1: bad character U+002D '-'","exitCode":64}],
  ["{{$x:=1}}{{$x}}", "1"],
  ["{{:}}", {"error":"template parsing error: template: version:1: expected :=","exitCode":64}],
  ["{{=}}", {"error":"template parsing error: template: version:1: unexpected \"=\" in command","exitCode":64}],
  ["{{ := 1}}", {"error":"template parsing error: template: version:1: unexpected \":=\" in command","exitCode":64}],
  ["{{template \"x\"}}", {"error":"template: version:1:11: executing \"version\" at <{{template \"x\"}}>: template \"x\" not defined","exitCode":1}],
  ["{{define \"x\"}}X{{.}}{{end}}a{{template \"x\" 1}}b", "aX1b"],
  ["{{block \"y\" 2}}B{{.}}{{end}}", "B2"],
  ["{{define \"x\"}}{{end}}{{define \"x\"}}Y{{end}}{{template \"x\"}}", "Y"],
  ["{{range 1}}{{end", {"error":"template parsing error: template: version:1: unclosed action","exitCode":64}],
  ["x}}y{{\"}}\"}}", "x}}y}}"],
  ["{{\"a\" \"b\"}}", {"error":"template: version:1:2: executing \"version\" at <\"a\">: can't give argument to non-function \"a\"","exitCode":1}],
  ["{{if}}{{end}}", {"error":"template parsing error: template: version:1: missing value for if","exitCode":64}],
  ["{{end 1}}", {"error":"template parsing error: template: version:1: unexpected \"1\" in end","exitCode":64}],
  ["{{else 1}}", {"error":"template parsing error: template: version:1: unexpected \"1\" in else","exitCode":64}],
], 'goMessage');

// Expected: as above, `docker version --format 'TEMPLATE'`: error positions, definitions, fmt verbs, numbers.
check('version', version, 'version', [
["{{if true}}\n{{.Client.Os\n\n", {"error":"template parsing error: template: version:4: unclosed action started at version:2","exitCode":64}],
  ["{{.Client.Os}}\n{{if}}", {"error":"template parsing error: template: version:2: missing value for if","exitCode":64}],
  ["{{\"unterminated\n\"}}", {"error":"template parsing error: template: version:1: unterminated quoted string","exitCode":64}],
  ["a\nb\n{{.Client.Os.Nope}}", {"error":"template: version:3:9: executing \"version\" at <.Client.Os.Nope>: can't evaluate field Nope in type string","exitCode":1}],
  ["é日本{{.Client.Os.Nope}}", {"error":"template: version:1:17: executing \"version\" at <.Client.Os.Nope>: can't evaluate field Nope in type string","exitCode":1}],
  ["line1\né {{.Client.Os.X}}", {"error":"template: version:2:12: executing \"version\" at <.Client.Os.X>: can't evaluate field X in type string","exitCode":1}],
  ["{{define \"t\"}}[{{.}}]{{end}}{{template \"t\" .Client.Os}}{{template \"t\" 1}}", "[linux][1]"],
  ["{{define \"t\"}}{{.Os.Nope}}{{end}}{{template \"t\" .Client}}", {"error":"template: version:1:19: executing \"t\" at <.Os.Nope>: can't evaluate field Nope in type string","exitCode":1}],
  ["{{define \"t\"}}{{$}}{{end}}{{template \"t\"}}", "<no value>"],
  ["{{define \"t\"}}{{end}}", ""],
  ["{{define \"t\"}}a{{end}}{{define \"t\"}}b{{end}}", {"error":"template parsing error: template: version:1: template: multiple definition of template \"t\"","exitCode":64}],
  ["{{block \"b\" .Client.Os}}<{{.}}>{{end}}", "<linux>"],
  ["{{range $i, $e := split \"a b\" \" \"}}{{$i}}{{$e}}{{else}}none{{end}}", "0a1b"],
  ["{{range $e := split \"\" \",\"}}[{{$e}}]{{end}}", "[]"],
  ["{{range split \"a,b\" \",\"}}{{$.Client.Os}}{{end}}", "linuxlinux"],
  ["{{with $x := .Client.Os}}{{$x}}{{end}}", "linux"],
  ["{{$x := 1}}{{with $x := 2}}{{$x}}{{end}}{{$x}}", "21"],
  ["{{$x := 1}}{{range 2}}{{$x = .}}{{end}}{{$x}}", "1"],
  ["{{if .Client.Os}}{{$y := 1}}{{$y}}{{end}}", "1"],
  ["{{if and true}}a{{end}}{{if or false}}b{{end}}", "a"],
  ["{{and 1 2 | printf \"%v\"}} {{or \"\" | printf \"%q\"}} {{\"x\" | and 1}} {{\"x\" | or 0}}", "2 \"\" x x"],
  ["{{not 1 2}}", {"error":"template: version:1:2: executing \"version\" at <not>: wrong number of args for not: want 1 got 2","exitCode":1}],
  ["{{len}}", {"error":"template: version:1:2: executing \"version\" at <len>: wrong number of args for len: want 1 got 0","exitCode":1}],
  ["{{index}}", {"error":"template: version:1:2: executing \"version\" at <index>: wrong number of args for index: want at least 1 got 0","exitCode":1}],
  ["{{index nil 1}}", {"error":"template: version:1:2: executing \"version\" at <index nil 1>: error calling index: index of untyped nil","exitCode":1}],
  ["{{len nil}}", {"error":"template: version:1:2: executing \"version\" at <len nil>: error calling len: reflect: call of reflect.Value.Type on zero Value","exitCode":1}],
  ["{{slice \"abc\" 1 2 3}}", {"error":"template: version:1:2: executing \"version\" at <slice \"abc\" 1 2 3>: error calling slice: cannot 3-index slice a string","exitCode":1}],
  ["{{slice 1}}", {"error":"template: version:1:2: executing \"version\" at <slice 1>: error calling slice: can't slice item of type int","exitCode":1}],
  ["{{index 1 1}}", {"error":"template: version:1:2: executing \"version\" at <index 1 1>: error calling index: can't index item of type int","exitCode":1}],
  ["{{html \"<b>\"}} {{js \"<b>\"}} {{urlquery \"a b\"}} {{html}} {{print nil}}", "&lt;b&gt; \\u003Cb\\u003E a+b  <nil>"],
  ["{{print \"a\" 1 2 \"b\" \"c\" 3.5 nil true}}", "a1 2bc3.5 <nil> true"],
  ["{{println \"a\" 1}}{{println}}x", "a 1\n\nx"],
  ["{{printf \"%v|%v|%v\" (split \"a b\" \" \") true 1.5}}", "[a b]|true|1.5"],
  ["{{printf \"%5.2v|%-8v|%08v\" 3.14159 \"ab\" 42}}", "  3.1|ab      |00000042"],
  ["{{printf \"%e|%E|%.2e|%g|%G\" 123456.789 0.000123 9.999 100000.0 1e-10}}", "1.234568e+05|1.230000E-04|1.00e+01|100000|1E-10"],
  ["{{printf \"%g %g %g %g\" 100000.0 1000000.0 0.0001 0.00001}}", "100000 1e+06 0.0001 1e-05"],
  ["{{printf \"%v %v %v %v\" 1e20 1e21 123456789012.0 0.1}}", "1e+20 1e+21 1.23456789012e+11 0.1"],
  ["{{printf \"%b %o %O %x\" 10 64 64 -1}}", "1010 100 0o100 -1"],
  ["{{printf \"%#b %#o %#X %#08x %08x %-08d| %+05d\" 5 8 255 255 -255 3 3}}", "0b101 010 0XFF 0x000000ff -00000ff 3       | +0003"],
  ["{{printf \"%.3d %.0d %5.3d|%.0d|\" 7 0 42 1}}", "007    042|1|"],
  ["{{printf \"%q %+q %#q %#+q\" \"日本\\x01\" \"日本\" \"a\\\"b\" \"tab here\"}}", "\"日本\\x01\" \"\\u65e5\\u672c\" `a\"b` `tab here`"],
  ["{{printf \"%x % X %#x %# x\" \"abc\" \"abc\" \"abc\" \"abc\"}}", "616263 61 62 63 0x616263 0x61 0x62 0x63"],
  ["{{printf \"%.2x %10x %-10x|\" \"abcdef\" \"ab\" \"ab\"}}", "6162       6162 6162      |"],
  ["{{printf \"%c%c %q %U %#U\" 72 105 39 0x2318 0x2318}}", "Hi '\\'' U+2318 U+2318 '⌘'"],
  ["{{printf \"%t %t %s\" true 1 true}}", "true %!t(int=1) %!s(bool=true)"],
  ["{{printf \"%s %v %d\" (split \"a b\" \" \") (split \"a b\" \" \") (split \"a b\" \" \")}}", "[a b] [a b] [%!d(string=a) %!d(string=b)]"],
  ["{{printf \"%08.2f|%-8.2f|%+08.2f|% .2f|%8.2e\" -1.5 1.5 1.5 1.5 1234.5}}", "-0001.50|1.50    |+0001.50| 1.50|1.23e+03"],
  ["{{printf \"%.1f %.1f %.1f %.1f %.2f %.2f\" 0.25 0.35 0.45 -0.25 1.005 1.015}}", "0.2 0.3 0.5 -0.2 1.00 1.01"],
  ["{{printf \"%.0e %.1e %.3e\" 15.0 0.15 1.0005}}", "2e+01 1.5e-01 1.000e+00"],
  ["{{printf \"%6.3v|%.2v|%.0v\" 3.14159 100.0 2.5}}", "  3.14|1e+02|2"],
  ["{{printf \"%s\" 1.5}} {{printf \"%d\" 1.5}} {{printf \"%t\" \"x\"}} {{printf \"%z\" 1}}", "%!s(float64=1.5) %!d(float64=1.5) %!t(string=x) %!z(int=1)"],
  ["{{printf \"%!d\" 1}}", "%!!(int=1)d"],
  ["{{printf \"%*s|%-*s|%*s\" 6 \"ab\" 6 \"ab\" \"x\" \"y\"}}", "    ab|ab    |%!(BADWIDTH)y"],
  ["{{printf \"%.*f\" 2 3.14159}} {{printf \"%[2]*[1]d\" 12 5}} {{printf \"%[1]d %[1]x %[1]o\" 64}}", "3.14    12 64 40 100"],
  ["{{printf \"%[5]d\" 1}} {{printf \"%[0]d\" 1}} {{printf \"%[1]d %d\" 1}}", "%!d(BADINDEX) %!d(BADINDEX) 1 %!d(MISSING)"],
  ["{{printf \"%d %d\" 1 2 3 4}}", "1 2%!(EXTRA int=3, int=4)"],
  ["{{printf \"%v\" 0x7fffffffffffffff}} {{printf \"%d\" -9223372036854775808}}", "9223372036854775807 -9223372036854775808"],
  ["{{9223372036854775808}}", {"error":"template: version:1:2: executing \"version\" at <9223372036854775808>: 9223372036854775808 overflows int","exitCode":1}],
  ["{{0x1p-2}} {{0x1.8p1}} {{1_0.5}} {{'x'}} {{'\\x41'}} {{'\\u00e9'}} {{'\\''}} {{0b1_0}} {{-0x10}}", "0.25 3 10.5 120 65 233 39 2 -16"],
  ["{{089}}", {"error":"template parsing error: template: version:1: integer overflow: \"089\"","exitCode":64}],
  ["{{1__0}}", {"error":"template parsing error: template: version:1: illegal number syntax: \"1__0\"","exitCode":64}],
  ["{{0x_1}}", "1"],
  ["{{\"\\a\\b\\f\\v\" | printf \"%q\"}} {{\"\\101\" | printf \"%q\"}}", "\"\\a\\b\\f\\v\" \"A\""],
  ["{{.Client.Os | upper | lower | title | printf \"%s!\" | len}}", "6"],
  ["{{(printf \"%s-%s\" .Client.Os .Client.Arch) | upper}}", "LINUX-AMD64"],
  ["{{(split .Client.Version \".\") | len}} {{index (split .Client.Version \".\") 0 | printf \"major=%s\"}}", "3 major=28"],
  ["{{title \"éclair ñu ǆ ß\"}} {{upper \"ß straße ǆ\"}} {{lower \"İSTANBUL Σ\"}}", "Éclair Ñu ǅ ß ß STRAßE Ǆ istanbul σ"],
  ["{{truncate \"日本語\" 4}}x", "日�x"],
  ["{{json .Client}}", "{\"Version\":\"28.2.2\",\"ApiVersion\":\"1.41\",\"DefaultAPIVersion\":\"1.50\",\"GitCommit\":\"e6534b4\",\"GoVersion\":\"go1.24.3\",\"Os\":\"linux\",\"Arch\":\"amd64\",\"BuildTime\":\"Fri May 30 12:07:14 2025\",\"Context\":\"default\"}"],
  ["{{json 1.5}} {{json -0.0}} {{json 1e-7}} {{json 123456789.0}} {{json \"\\u00e9\\u2029\"}}", "1.5 -0 1e-7 123456789 \"é\\u2029\""],
], 'goMessage');

// Expected: as above, `docker version --format 'TEMPLATE'`: more builtins, comparisons and verbs.
check('version', version, 'version', [
["{{index \"abc\" 3}}", {"error":"template: version:1:2: executing \"version\" at <index \"abc\" 3>: error calling index: reflect: string index out of range","exitCode":1}],
  ["{{slice \"abc\" 4}}", {"error":"template: version:1:2: executing \"version\" at <slice \"abc\" 4>: error calling slice: index out of range: 4","exitCode":1}],
  ["{{len 1.5}}", {"error":"template: version:1:2: executing \"version\" at <len 1.5>: error calling len: len of type float64","exitCode":1}],
  ["{{range 1.5}}{{end}}", {"error":"template: version:1:8: executing \"version\" at <1.5>: range can't iterate over 1.5","exitCode":1}],
  ["{{if \"x\"}}{{break}}{{end}}", {"error":"template parsing error: template: version:1: {{break}} outside {{range}}","exitCode":64}],
  ["{{range 3}}{{if eq . 1}}{{continue}}{{end}}{{.}}{{end}}", "02"],
  ["{{print 1.0 2}} {{printf \"%v\" -0.0}} {{printf \"%.2f\" 1e21}} {{printf \"%g\" 1e21}}", "1 2 -0 1000000000000000000000.00 1e+21"],
  ["{{printf \"%x %X %x %x\" 3.5 -0.0 1.0 0.1}}", "0x1.cp+01 -0X0P+00 0x1p+00 0x1.999999999999ap-04"],
  ["{{printf \"%10.3x|%-10.1X|%.0x\" 1.0 100.0 1.5}}", "0x1.000p+00|0X1.9P+06 |0x1p+01"],
  ["{{urlquery \"é ü+&\"}} {{js \"\\u2028 <script>\"}} {{html \"\\u0000x\"}}", "%C3%A9+%C3%BC%2B%26 \\u2028 \\u003Cscript\\u003E �x"],
  ["{{range $i := 2}}{{$i}}{{end}}", "01"],
  ["{{range $i, $e := \"ab\"}}{{end}}", {"error":"template: version:1:18: executing \"version\" at <\"ab\">: range can't iterate over ab","exitCode":1}],
  ["{{with 1}}{{else with 2}}{{else}}c{{end}}", ""],
  ["{{if 1}}{{else if 2}}{{else if 3}}{{end}}z", "z"],
  ["{{len (index (split \"a,b\" \",\") 1)}}", "1"],
  ["{{\"\\u00e9\" | printf \"%x\"}}", "c3a9"],
  ["{{printf \"%s|%v|%q\" \"\" \"\" \"\"}}", "||\"\""],
  ["{{printf \"%v\" (slice (split \"a,b,c\" \",\") 1 2)}}", "[b]"],
  ["{{eq (split \"a\" \",\") nil}}", "false"],
  ["{{ne \"a\" \"b\" }} {{eq 1.5 1.5}} {{lt 1.5 2.5}} {{lt \"a\" \"b\"}} {{gt \"a\" \"B\"}}", "true true true true true"],
  ["{{eq true true}} {{eq true false}} {{ne true 1}}", {"error":"template: version:1:37: executing \"version\" at <ne true 1>: error calling ne: incompatible types for comparison","exitCode":1}],
  ["{{and 0 (index \"a\" 5)}} {{or 1 (index \"a\" 5)}}", "0 1"],
  ["{{$x := split \"a,b\" \",\"}}{{range $x}}{{.}}{{end}}{{len $x}}", "ab2"],
  ["{{\"s\"}}{{/* comment */}}", "s"],
  ["{{printf \"%d\" 100000000000000000000.0}}", "%!d(float64=1e+20)"],
  ["{{printf \"%.3s|%.10s|%-4.2s|\" \"日本語\" \"ab\" \"日本語\"}}", "日本語|ab|日本  |"],
  ["{{printf \"%5t|%-6t|\" true false}}", " true|false |"],
  ["{{printf \"%6.2f%%\" 12.345}}", " 12.35%"],
  ["{{printf \"%+v %#v %#v %#v\" 1 1 \"x\" 1.5}}", "1 1 \"x\" 1.5"],
  ["{{printf \"%T\" (split \"a\" \",\")}}", "[]string"],
], 'goMessage');

/**
 * A container as `docker inspect rich` shows it (the fields the templates below read), created with:
 *   tar -C rootfs -c . | docker import -c 'CMD ["/bin/true"]' - test:1
 *   docker network create n2
 *   docker create --name rich --network n2 -p 8080:80 -p 53:53/udp -v /data --entrypoint /bin/busybox \
 *     -u 1000 -w /work -l 'com.example.title=Hello <World> & co' -l b=2 -l a=1 -l empty= -e A=1 -e B=two \
 *     test:1 sh -c 'echo hi'
 *   docker network connect bridge rich
 * HostConfig.Binds, HostConfig.CapAdd and the n2 Aliases are Go nil slices: null in JSON, [] in templates.
 */
const rich = {
  Id: "f67cf4393e2ee72f1d0216dc90d774a16886182ba4a6ee7e3f37aece4340a787",
  Name: "/rich",
  Path: "/bin/busybox",
  Args: [
    "sh",
    "-c",
    "echo hi"
  ],
  State: {
    Status: "created",
    Running: false,
    Paused: false,
    OOMKilled: false,
    Pid: 0,
    ExitCode: 0,
    Error: "",
    StartedAt: "0001-01-01T00:00:00Z"
  },
  RestartCount: 0,
  HostConfig: {
    Binds: nilSlice,
    NetworkMode: "n2",
    PortBindings: {
      "53/udp": [
        {
          HostIp: "",
          HostPort: "53"
        }
      ],
      "80/tcp": [
        {
          HostIp: "",
          HostPort: "8080"
        }
      ]
    },
    Privileged: false,
    ReadonlyRootfs: false,
    ShmSize: 67108864,
    CapAdd: nilSlice,
    Dns: []
  },
  Mounts: [
    {
      Type: "volume",
      Destination: "/data",
      RW: true
    }
  ],
  Config: {
    User: "1000",
    ExposedPorts: {
      "53/udp": {},
      "80/tcp": {}
    },
    Tty: false,
    OpenStdin: false,
    Env: [
      "A=1",
      "B=two"
    ],
    Cmd: [
      "sh",
      "-c",
      "echo hi"
    ],
    Image: "test:1",
    Volumes: {
      "/data": {}
    },
    WorkingDir: "/work",
    Entrypoint: [
      "/bin/busybox"
    ],
    Labels: {
      a: "1",
      b: "2",
      "com.example.title": "Hello <World> & co",
      empty: ""
    }
  },
  NetworkSettings: {
    Ports: {},
    Networks: {
      bridge: {
        Aliases: [],
        NetworkID: "",
        IPAddress: "",
        IPPrefixLen: 0
      },
      n2: {
        Aliases: nilSlice,
        NetworkID: "",
        IPAddress: "",
        IPPrefixLen: 0
      }
    }
  }
};

// Expected: `docker inspect --format 'TEMPLATE' rich`.
check('inspect', rich, '', [
["{{.Name}} {{.Config.User}} {{.Config.WorkingDir}}", "/rich 1000 /work"],
  ["{{.Config.Labels.nope}}|{{index .Config.Labels \"nope\"}}|{{.Config.Labels.a}}|{{index .Config.Labels \"a\"}}", "<no value>||1|1"],
  ["{{eq .Config.Labels.nope \"x\"}} {{eq (index .Config.Labels \"nope\") \"\"}}", "false true"],
  ["{{.Config.Labels}}", "map[a:1 b:2 com.example.title:Hello <World> & co empty:]"],
  ["{{.Config.Env}} {{.Config.Cmd}} {{.Args}} {{len .Args}} {{.Config.Entrypoint}} {{.HostConfig.Binds}}", "[A=1 B=two] [sh -c echo hi] [sh -c echo hi] 3 [/bin/busybox] []"],
  ["{{json .HostConfig.Binds}} {{json .Config.Volumes}} {{len .HostConfig.Binds}}", "null {\"/data\":{}} 0"],
  ["{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}", "a=1;b=2;com.example.title=Hello <World> & co;empty=;"],
  ["{{range .Config.Labels}}{{.}};{{end}}", "1;2;Hello <World> & co;;"],
  ["{{range $k, $v := .NetworkSettings.Networks}}{{$k}}:{{$v.IPAddress}}:{{len $v.Aliases}};{{end}}", "bridge::0;n2::0;"],
  ["{{range .HostConfig.Binds}}x{{else}}none{{end}}", "none"],
  ["{{.NetworkSettings.Ports}} {{json .NetworkSettings.Ports}}", "map[] {}"],
  ["{{if .Config.Labels}}y{{end}}{{if .HostConfig.Binds}}y{{else}}n{{end}}{{if .State.Pid}}y{{else}}n{{end}}{{if .State}}y{{end}}", "ynny"],
  ["{{.Config.Volumes.x}} {{.Config.Labels.nope.deeper}}", "<no value> <no value>"],
  ["{{join .Config.Env \",\"}} {{join .HostConfig.Binds \",\"}}|", "A=1,B=two |"],
  ["{{index .Config.Env 5}}", {"error":"template parsing error: template: :1:2: executing \"\" at <index .Config.Env 5>: error calling index: index out of range: 5","exitCode":1}],
  ["{{index .Config.Env -1}}", {"error":"template parsing error: template: :1:2: executing \"\" at <index .Config.Env -1>: error calling index: index out of range: -1","exitCode":1}],
  ["{{index .Config.Env \"a\"}}", {"error":"template parsing error: template: :1:2: executing \"\" at <index .Config.Env \"a\">: error calling index: cannot index slice/array with type string","exitCode":1}],
  ["{{index .Config.Labels 1}}", {"error":"template parsing error: template: :1:2: executing \"\" at <index .Config.Labels 1>: error calling index: value has type int; should be string","exitCode":1}],
  ["{{index .Config.Env}} {{index .Config.Env 0 1}}", "[A=1 B=two] 61"],
  ["{{index .Config.Env 2}}", {"error":"template parsing error: template: :1:2: executing \"\" at <index .Config.Env 2>: error calling index: reflect: slice index out of range","exitCode":1}],
  ["{{slice .Config.Env 1}} {{slice .Config.Env 0 1}} {{slice .Config.Env 0 1 2}} {{slice .Config.Env 2}}", "[B=two] [A=1] [A=1] []"],
  ["{{slice .Config.Env 3}}", {"error":"template parsing error: template: :1:2: executing \"\" at <slice .Config.Env 3>: error calling slice: index out of range: 3","exitCode":1}],
  ["{{.Config.Env | len}}", "2"],
  ["{{json .Config.Labels}}", "{\"a\":\"1\",\"b\":\"2\",\"com.example.title\":\"Hello <World> & co\",\"empty\":\"\"}"],
  ["{{printf \"%v|%s|%d|%q|%x\" .Config.Env .Config.Env .Config.Env .Config.Env .Config.Env}}", "[A=1 B=two]|[A=1 B=two]|[%!d(string=A=1) %!d(string=B=two)]|[\"A=1\" \"B=two\"]|[413d31 423d74776f]"],
  ["{{printf \"%v|%s|%d\" .Config.Labels .Config.Labels .Config.Labels}}", "map[a:1 b:2 com.example.title:Hello <World> & co empty:]|map[a:1 b:2 com.example.title:Hello <World> & co empty:]|map[%!d(string=a):%!d(string=1) %!d(string=b):%!d(string=2) %!d(string=com.example.title):%!d(string=Hello <World> & co) %!d(string=empty):%!d(string=)]"],
  ["{{printf \"%5v|%-6v|%q\" .Config.Env .Config.Env .Config.Labels}}", "[  A=1 B=two]|[A=1    B=two ]|map[\"a\":\"1\" \"b\":\"2\" \"com.example.title\":\"Hello <World> & co\" \"empty\":\"\"]"],
  ["{{print .Config.Env .Config.Labels}}", "[A=1 B=two] map[a:1 b:2 com.example.title:Hello <World> & co empty:]"],
  ["{{not .Config.Labels}} {{and .Config.Labels .Config.Env}} {{or .HostConfig.Binds \"dflt\"}}", "false [A=1 B=two] dflt"],
  ["{{eq .HostConfig.Binds nil}}", "true"],
  ["{{printf \"%v\" .Config.Labels.nope}}|{{print .Config.Labels.nope}}|{{json .Config.Labels.nope}}", "<nil>|<nil>|null"],
  ["{{eq .Config.Labels.a .Config.Labels.nope}}", "false"],
  ["{{with .Config.Labels.nope}}x{{else}}none{{end}} {{range .Config.Labels.nope}}x{{else}}none{{end}}", "none none"],
  ["{{if eq .Config.User \"1000\"}}uid{{end}}", "uid"],
  ["{{.State.Status}} {{.State.Running}} {{.State.Pid}} {{.State.ExitCode}} {{.RestartCount}} {{.HostConfig.ShmSize}}", "created false 0 0 0 67108864"],
  ["{{printf \"%d %5.1f %x\" .HostConfig.ShmSize 2.25 .HostConfig.ShmSize}}", "67108864   2.2 4000000"],
  ["{{range $i, $c := .Config.Cmd}}{{if $i}} {{end}}{{printf \"%q\" $c}}{{end}}", "\"sh\" \"-c\" \"echo hi\""],
  ["{{range $net, $conf := .NetworkSettings.Networks}}{{$net}} {{json $conf.Aliases}} {{$conf.NetworkID | printf \"%.12s\"}}\n{{end}}", "bridge [] \nn2 null \n"],
  ["{{with .Config}}{{.Image}} {{$.Name}}{{end}}", "test:1 /rich"],
  ["{{$name := .Name}}{{range .Config.Env}}{{$name}}:{{.}} {{end}}", "/rich:A=1 /rich:B=two "],
  ["{{range $p, $conf := .Config.ExposedPorts}}{{$p}} {{end}}", "53/udp 80/tcp "],
  ["{{len .Config.ExposedPorts}} {{len .Config.Labels}} {{len .Name}}", "2 4 5"],
  ["{{upper .Config.Labels.b}} {{lower .State.Status}} {{title .State.Status}} {{truncate .Id 12}} {{pad .Config.User 2 1}}|", "2 created Created f67cf4393e2e   1000 |"],
  ["{{split .Config.Image \":\"}} {{index (split .Config.Image \":\") 0}}", "[test 1] test"],
  ["{{range split (join .Config.Env \";\") \";\"}}<{{.}}>{{end}}", "<A=1><B=two>"],
  ["{{println .Name .Path}}", "/rich /bin/busybox\n"],
  ["{{len .Mounts}} {{range .Mounts}}{{.Type}} {{.Destination}} {{.RW}}{{end}}", "1 volume /data true"],
  ["{{index .Config.Labels \"com.example.title\"}} {{json (index .Config.Labels \"com.example.title\")}}", "Hello <World> & co \"Hello <World> & co\""],
  ["{{if and .Config.Env (not .HostConfig.Binds)}}env-only{{end}}", "env-only"],
  ["{{if or .HostConfig.Privileged .HostConfig.ReadonlyRootfs}}x{{else}}plain{{end}}", "plain"],
  ["{{.Config.Labels.nope | printf \"%v\"}}", "<nil>"],
  ["{{printf \"%s\" .Config.Env}}", "[A=1 B=two]"],
  ["{{lt .Name \"/s\"}} {{gt .State.Pid 0}} {{le .RestartCount 0}}", "true false true"],
  ["{{.Config.Tty}} {{not .Config.Tty}} {{printf \"%v %t\" .Config.Tty .Config.OpenStdin}}", "false true false false"],
  ["{{range $p, $b := .HostConfig.PortBindings}}{{$p}}->{{(index $b 0).HostPort}} {{end}}", "53/udp->53 80/tcp->8080 "],
  ["{{(index .HostConfig.PortBindings \"80/tcp\" 0).HostPort}}", "8080"],
  ["{{range $i, $e := .Config.Env}}{{$i}}{{end}} {{range $i, $e = .Config.Env}}{{end}}", {"error":"template parsing error: template: :1:69: executing \"\" at <.Config.Env>: undefined variable: $i","exitCode":1}],
  ["{{$x := \"\"}}{{range $i, $e := .Config.Env}}{{$x = $e}}{{end}}{{$x}}", "B=two"],
  ["{{- range .Config.Env}}\n  {{.}}\n{{- end}}", "\n  A=1\n  B=two"],
  ["{{/* a comment */}}{{.Name -}}   \n   {{- .Config.User}}", "/rich1000"],
  ["{{range .Config.Env}}{{if eq . \"B=two\"}}{{break}}{{end}}{{.}}{{end}}", "A=1"],
  ["{{printf \"%-10s|%10s|\" .Config.User .Name}}", "1000      |     /rich|"],
  ["{{printf \"%08.3f|%+d|%x|%X|%o\" 3.14159 .HostConfig.ShmSize .Name .Name .HostConfig.ShmSize}}", "0003.142|+67108864|2f72696368|2F72696368|400000000"],
  ["{{.Config.Labels.a | printf \"%s-%s\" \"x\"}}", "x-1"],
  ["{{\"héllo\" | len}} {{slice \"héllo\" 0 3 | printf \"%q\"}}", "6 \"hé\""],
  ["{{printf \"%T %T %T %T %T\" .Name .Config.Env 1.5 true nil}}", "string []string float64 bool <nil>"],
  ["{{printf \"%v %d\" 1e6 123456789}} {{1e100}} {{-0.0}} {{1.0e-10}}", "1e+06 123456789 1e+100 -0 1e-10"],
  ["{{printf \"%.3g|%g|%.10g|%e|%.0f|%.0f|%.0f|%.1f\" 1234.5678 0.000012345 3.14159 0.0 0.5 1.5 2.5 0.05}}", "1.23e+03|1.2345e-05|3.14159|0.000000e+00|0|2|2|0.1"],
  ["{{printf \"%6.2f|%-8.2f|%+.2e\" 1.005 2.675 12345.678}}", "  1.00|2.67    |+1.23e+04"],
  ["{{printf \"%x|%X|%#x|% x|%q|%#q|%+q\" \"héllo\" \"hi\" \"hi\" \"hi\" \"é\\u0000\\t\" \"back`tick\" \"é\"}}", "68c3a96c6c6f|6869|0x6869|68 69|\"é\\x00\\t\"|\"back`tick\"|\"\\u00e9\""],
  ["{{printf \"%c|%q|%U|%#U\" 0x1F600 0x1F600 0x1F600 233}}", "😀|'😀'|U+1F600|U+00E9 'é'"],
  ["{{printf \"%5s|%-5s|%.1s|%5.1s|%05s\" \"日本\" \"日本\" \"日本\" \"日本\" \"ab\"}}", "   日本|日本   |日|    日|000ab"],
  ["{{printf \"%d %s\" 1}} {{printf \"%d\" 1 2 \"x\"}} {{printf \"%[3]d %d\" 1 2}} {{printf \"%.*d|%*d\" 3 7 -4 5}}", "1 %!s(MISSING) 1%!(EXTRA int=2, string=x) %!d(BADINDEX) 1 007|5   "],
  ["{{printf \"%!\" }} {{printf \"%\" }} {{printf \"%-\" }} {{printf \"%[x]d\" 1}}", "%!!(MISSING) %!(NOVERB) %!(NOVERB) %!d(BADINDEX)"],
], 'message');

// Expected: `docker version --format '{{1e6}} {{3.0}} {{json 1e6}}'` printed "1e+06 3 1000000": a float stays a
// float even when integral, which a JS number cannot say, hence GoFloat.
test('GoFloat: an integral float prints as Go prints a float64', () => {
  assert.is(executeTemplate(parseTemplate('{{.A}} {{.B}} {{json .A}}'), { A: new GoFloat(1e6), B: new GoFloat(3) }), '1e+06 3 1000000');
});

// Expected: `docker volume create vol2; docker volume inspect -f '{{.Labels}} {{json .Labels}} {{len .Labels}}' vol2`
// printed "map[] null 0" (Labels is a nil map).
test('nilMap: a nil map prints map[] and encodes as null', () => {
  assert.is(executeTemplate(parseTemplate('{{.Labels}} {{json .Labels}} {{len .Labels}}'), { Labels: nilMap }), 'map[] null 0');
});

// Expected: `docker create --name db -l role=db test:1; docker ps -a --filter name=db --format '{{.Label "role"}}|{{.Label "nope"}}|'`
// printed "db||": Label is a method of Docker's container context; function properties play methods.
test('function properties are methods that take arguments', () => {
  const labels: Record<string, string> = { role: 'db' };
  const item = { Label: (name: string) => labels[name] ?? '' };
  assert.is(executeTemplate(parseTemplate('{{.Label "role"}}|{{.Label "nope"}}|'), item), 'db||');
});

// Expected: `docker inspect --format '{{.Nope}}' rich` printed (stderr, exit 1) Docker's raw-data retry, which runs
// with missingkey=error: template parsing error: template: :1:2: executing "" at <.Nope>: map has no entry for key "Nope"
test('missingKey error: a missing key fails as with missingkey=error', () => {
  try {
    executeTemplate(parseTemplate('{{.Nope}}'), rich, { missingKey: 'error' });
    assert.unreachable();
  } catch (err) {
    assert.instance(err, TemplateError);
    assert.is((err as TemplateError).message, 'template parsing error: template: :1:2: executing "" at <.Nope>: map has no entry for key "Nope"');
    assert.is((err as TemplateError).exitCode, 1);
  }
});

// Expected: `docker ps -a --format 'table {{upper .Names}}|{{json .Names}}|{{truncate .ID 4}}|{{pad .Names 1 1}}|'`
// printed the header "NAMES|NAMES|CONTAINER ID| NAMES |": header functions leave names alone, pad does not.
test('header option: Docker header functions return column names untouched', () => {
  const headers = { Names: 'NAMES', ID: 'CONTAINER ID' };
  const text = executeTemplate(parseTemplate('{{upper .Names}}|{{json .Names}}|{{truncate .ID 4}}|{{pad .Names 1 1}}|'), headers, { header: true });
  assert.is(text, 'NAMES|NAMES|CONTAINER ID| NAMES |');
});

test.run();
