// Docker's table alignment: each input is the text docker ps hands its tab writer, each output what it printed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { displayWidth, tabwrite } from '../../../src/cli/format/table';

// Containers behind these rows (Docker CLI 28.2.2, daemon 20.10; image test:1 from docker import):
//   docker create --name web -l com.example.b=2 -l com.example.a='x<y&z>' test:1 /bin/true a b
//   docker create --name db -l role=db test:1
//   docker create --name rich ... test:1 sh -c 'echo hi'   (see template.test.ts)
//   docker create --name a-very-long-container-name-here -l wide=日本語テキスト -l emoji=👍ok -l comb=café \
//     -l flag=🇯🇵x -l zwj=👨‍👩‍👧z -l "tab=a<TAB>b" test:1
//   docker create --name widths -l "comb=cafe<U+0301>" -l amb=±→αΩ -l hangul=한국어 -l full=ＡＢ \
//     -l "zw=a<U+200B>b" -l sym=✓★☆ test:1
// Each input is header + rows as the template renders them (header functions on the column names).
const cases: Array<[string, string]> = [
  // docker ps -a --format 'table {{.Names}}\t{{.Command}}\t{{.State}}'
  ["NAMES\tCOMMAND\tSTATE\nwidths\t\"/bin/true\"\tcreated\na-very-long-container-name-here\t\"/bin/true\"\tcreated\nrich\t\"/bin/busybox sh -c …\"\tcreated\ndb\t\"/bin/true\"\tcreated\nweb\t\"/bin/true a b\"\tcreated\n",
   "NAMES                             COMMAND                  STATE\nwidths                            \"/bin/true\"              created\na-very-long-container-name-here   \"/bin/true\"              created\nrich                              \"/bin/busybox sh -c …\"   created\ndb                                \"/bin/true\"              created\nweb                               \"/bin/true a b\"          created\n"],
  // docker ps -a --format 'table {{.ID}}\t{{.Label "wide"}}\t{{.Names}}'
  ["CONTAINER ID\twide\tNAMES\n01dc0533508b\t\twidths\n736f61572ff6\t日本語テキスト\ta-very-long-container-name-here\nf67cf4393e2e\t\trich\n9e9bceeb5260\t\tdb\n8f14e2813883\t\tweb\n",
   "CONTAINER ID   wide             NAMES\n01dc0533508b                    widths\n736f61572ff6   日本語テキスト   a-very-long-container-name-here\nf67cf4393e2e                    rich\n9e9bceeb5260                    db\n8f14e2813883                    web\n"],
  // docker ps -a --format 'table {{.Names}}\t{{.Label "flag"}}\t{{.Label "zwj"}}\t{{.Label "emoji"}}|'
  ["NAMES\tflag\tzwj\temoji|\nwidths\t\t\t|\na-very-long-container-name-here\t🇯🇵x\t👨\u200d👩\u200d👧z\t👍ok|\nrich\t\t\t|\ndb\t\t\t|\nweb\t\t\t|\n",
   "NAMES                             flag      zwj       emoji|\nwidths                                                |\na-very-long-container-name-here   🇯🇵x        👨\u200d👩\u200d👧z       👍ok|\nrich                                                  |\ndb                                                    |\nweb                                                   |\n"],
  // docker ps -a --format 'table {{.Names}}\t{{.Label "tab"}}\t{{.State}}'
  ["NAMES\ttab\tSTATE\nwidths\t\tcreated\na-very-long-container-name-here\ta\tb\tcreated\nrich\t\tcreated\ndb\t\tcreated\nweb\t\tcreated\n",
   "NAMES                             tab       STATE\nwidths                                      created\na-very-long-container-name-here   a         b         created\nrich                                        created\ndb                                          created\nweb                                         created\n"],
  // docker ps -a --format 'table {{.Names}}\t\t{{.State}}'
  ["NAMES\t\tSTATE\nwidths\t\tcreated\na-very-long-container-name-here\t\tcreated\nrich\t\tcreated\ndb\t\tcreated\nweb\t\tcreated\n",
   "NAMES                                       STATE\nwidths                                      created\na-very-long-container-name-here             created\nrich                                        created\ndb                                          created\nweb                                         created\n"],
  // docker ps -a --format 'table \t{{.Names}}'
  ["\tNAMES\n\twidths\n\ta-very-long-container-name-here\n\trich\n\tdb\n\tweb\n",
   "          NAMES\n          widths\n          a-very-long-container-name-here\n          rich\n          db\n          web\n"],
  // docker ps -a --format 'table {{.Names}}\t'
  ["NAMES\t\nwidths\t\na-very-long-container-name-here\t\nrich\t\ndb\t\nweb\t\n",
   "NAMES                             \nwidths                            \na-very-long-container-name-here   \nrich                              \ndb                                \nweb                               \n"],
  // docker ps -a --format 'table Name: {{.Names}}\tImage: {{.Image}}\n--'
  ["Name: NAMES\tImage: IMAGE\n--\nName: widths\tImage: test:1\n--\nName: a-very-long-container-name-here\tImage: test:1\n--\nName: rich\tImage: test:1\n--\nName: db\tImage: test:1\n--\nName: web\tImage: test:1\n--\n",
   "Name: NAMES   Image: IMAGE\n--\nName: widths   Image: test:1\n--\nName: a-very-long-container-name-here   Image: test:1\n--\nName: rich   Image: test:1\n--\nName: db   Image: test:1\n--\nName: web   Image: test:1\n--\n"],
  // docker ps -a --format 'table {{.Names}}\n{{.ID}}\t{{.State}}'
  ["NAMES\nCONTAINER ID\tSTATE\nwidths\n01dc0533508b\tcreated\na-very-long-container-name-here\n736f61572ff6\tcreated\nrich\nf67cf4393e2e\tcreated\ndb\n9e9bceeb5260\tcreated\nweb\n8f14e2813883\tcreated\n",
   "NAMES\nCONTAINER ID   STATE\nwidths\n01dc0533508b   created\na-very-long-container-name-here\n736f61572ff6   created\nrich\nf67cf4393e2e   created\ndb\n9e9bceeb5260   created\nweb\n8f14e2813883   created\n"],
  // docker ps -a --format 'table {{range $i, $e := split .Names "-"}}{{$e}}\t{{end}}'
  ["\nwidths\t\na\tvery\tlong\tcontainer\tname\there\t\nrich\t\ndb\t\nweb\t\n",
   "\nwidths    \na         very      long      container   name      here      \nrich      \ndb        \nweb       \n"],
  // docker ps -a --format 'table {{.Names}}\t{{.Label "comb"}}\t{{.Label "amb"}}\t{{.Label "hangul"}}\t{{.Label "full"}}\t{{.Label "zw"}}\t{{.Label "sym"}}\t|'
  ["NAMES\tcomb\tamb\thangul\tfull\tzw\tsym\t|\nwidths\tcafe\u0301\t±→αΩ\t한국어\tＡＢ\ta\u200bb\t✓★☆\t|\na-very-long-container-name-here\tcafé\t\t\t\t\t\t|\nrich\t\t\t\t\t\t\t|\ndb\t\t\t\t\t\t\t|\nweb\t\t\t\t\t\t\t|\n",
   "NAMES                             comb      amb       hangul    full      zw        sym       |\nwidths                            cafe\u0301      ±→αΩ      한국어    ＡＢ      a\u200bb        ✓★☆       |\na-very-long-container-name-here   café                                                        |\nrich                                                                                          |\ndb                                                                                            |\nweb                                                                                           |\n"],
];

cases.forEach(([input, expected], i) => {
  test(`tabwrite matches docker ps table #${i + 1}`, () => {
    assert.is(tabwrite(input), expected);
  });
});

// Widths as docker ps padded them in the cases above (a column is min 10 wide: 10 - padding = width).
test("displayWidth counts terminal columns as Docker's tab writer does", () => {
  const widths: Array<[string, number]> = [
    ["plain", 5],
    ["…", 1],
    ["日本語テキスト", 14],
    ["👍ok", 4],
    ["🇯🇵x", 2],
    ["👨\u200d👩\u200d👧z", 3],
    ["cafe\u0301", 4],
    ["±→αΩ", 4],
    ["한국어", 6],
    ["ＡＢ", 4],
    ["a\u200bb", 2],
    ["✓★☆", 3],
  ];
  for (const [text, width] of widths) assert.is(displayWidth(text), width, text);
});

test("the last cell of a line is never padded and lines without tabs end a column block", () => {
  // docker ps -a --format 'table Name: {{.Names}}\tImage: {{.Image}}\n--' (case above), reduced to two rows.
  assert.is(tabwrite("Name: NAMES\tImage: IMAGE\n--\nName: db\tImage: test:1\n--\n"), "Name: NAMES   Image: IMAGE\n--\nName: db   Image: test:1\n--\n");
});

test.run();
