// Docker's listing and inspect output: every expected value here is what Docker CLI 28.2.2 printed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatInspect, formatList, nilMap, TemplateError } from '../../../src/cli/format/index';

type Expected = string | { error: string; exitCode: number; output?: string };

function outcome(render: () => string, withOutput = false): Expected {
  try {
    return render();
  } catch (err) {
    if (!(err instanceof TemplateError)) throw err;
    return withOutput ? { output: err.output, error: err.message, exitCode: err.exitCode } : { error: err.message, exitCode: err.exitCode };
  }
}

// ---- docker ps ----

/** Docker's container list columns (docker/cli formatter.NewContainerContext) and default table. */
const psHeaders = {
  ID: 'CONTAINER ID', Names: 'NAMES', Image: 'IMAGE', Command: 'COMMAND', CreatedAt: 'CREATED AT', RunningFor: 'CREATED',
  Ports: 'PORTS', State: 'STATE', Status: 'STATUS', Size: 'SIZE', Labels: 'LABELS', Mounts: 'MOUNTS',
  LocalVolumes: 'LOCAL VOLUMES', Networks: 'NETWORKS', Platform: 'PLATFORM',
};
const psDefault = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';

/**
 * `docker ps -a --format json` for the containers made in table.test.ts (web, db, rich and
 * a-very-long-container-name-here), captured in the same run as the outputs below.
 */
const psJSON: Array<Record<string, string | null>> = [
  {
    Command: "\"/bin/true\"",
    CreatedAt: "2026-11-24 10:08:19 +0000 UTC",
    ID: "736f61572ff6",
    Image: "test:1",
    Labels: "comb=café,emoji=👍ok,flag=🇯🇵x,tab=a\tb,wide=日本語テキスト,zwj=👨\u200d👩\u200d👧z",
    LocalVolumes: "0",
    Mounts: "",
    Names: "a-very-long-container-name-here",
    Networks: "bridge",
    Platform: null,
    Ports: "",
    RunningFor: "2 minutes ago",
    Size: "0B",
    State: "created",
    Status: "Created"
  },
  {
    Command: "\"/bin/busybox sh -c …\"",
    CreatedAt: "2026-11-24 09:57:19 +0000 UTC",
    ID: "f67cf4393e2e",
    Image: "test:1",
    Labels: "a=1,b=2,com.example.title=Hello <World> & co,empty=",
    LocalVolumes: "1",
    Mounts: "8bcbfc830ac568…",
    Names: "rich",
    Networks: "bridge,n2",
    Platform: null,
    Ports: "",
    RunningFor: "13 minutes ago",
    Size: "0B",
    State: "created",
    Status: "Created"
  },
  {
    Command: "\"/bin/true\"",
    CreatedAt: "2026-11-24 09:53:10 +0000 UTC",
    ID: "9e9bceeb5260",
    Image: "test:1",
    Labels: "role=db",
    LocalVolumes: "0",
    Mounts: "",
    Names: "db",
    Networks: "bridge",
    Platform: null,
    Ports: "",
    RunningFor: "17 minutes ago",
    Size: "0B",
    State: "created",
    Status: "Created"
  },
  {
    Command: "\"/bin/true a b\"",
    CreatedAt: "2026-11-24 09:53:10 +0000 UTC",
    ID: "8f14e2813883",
    Image: "test:1",
    Labels: "com.example.a=x<y&z>,com.example.b=2",
    LocalVolumes: "0",
    Mounts: "",
    Names: "web",
    Networks: "bridge",
    Platform: null,
    Ports: "",
    RunningFor: "17 minutes ago",
    Size: "0B",
    State: "created",
    Status: "Created"
  }
];

/** Docker's container context has Label(name), a method; here a function property. */
const psItems = psJSON.map((item) => {
  const labels = new Map((item.Labels ?? '').split(',').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  return { ...item, Label: (name: string) => labels.get(name) ?? '' };
});

// [FORMAT, -q, expected]: `docker ps -a [-q] --format 'FORMAT'`. The shell passes \t and \n as two characters,
// which Docker turns into a tab and a newline.
const psCases: Array<[string, boolean, Expected]> = [
  ["", false, "CONTAINER ID   IMAGE     COMMAND                  CREATED          STATUS    PORTS     NAMES\n736f61572ff6   test:1    \"/bin/true\"              2 minutes ago    Created             a-very-long-container-name-here\nf67cf4393e2e   test:1    \"/bin/busybox sh -c …\"   13 minutes ago   Created             rich\n9e9bceeb5260   test:1    \"/bin/true\"              17 minutes ago   Created             db\n8f14e2813883   test:1    \"/bin/true a b\"          17 minutes ago   Created             web\n"],
  ["table", false, "CONTAINER ID   IMAGE     COMMAND                  CREATED          STATUS    PORTS     NAMES\n736f61572ff6   test:1    \"/bin/true\"              2 minutes ago    Created             a-very-long-container-name-here\nf67cf4393e2e   test:1    \"/bin/busybox sh -c …\"   13 minutes ago   Created             rich\n9e9bceeb5260   test:1    \"/bin/true\"              17 minutes ago   Created             db\n8f14e2813883   test:1    \"/bin/true a b\"          17 minutes ago   Created             web\n"],
  ["table ", false, "\n\n\n\n\n"],
  ["table    {{.Names}}  ", false, "NAMES\na-very-long-container-name-here\nrich\ndb\nweb\n"],
  ["json", false, "{\"Command\":\"\\\"/bin/true\\\"\",\"CreatedAt\":\"2026-11-24 10:08:19 +0000 UTC\",\"ID\":\"736f61572ff6\",\"Image\":\"test:1\",\"Labels\":\"comb=café,emoji=👍ok,flag=🇯🇵x,tab=a\\tb,wide=日本語テキスト,zwj=👨\u200d👩\u200d👧z\",\"LocalVolumes\":\"0\",\"Mounts\":\"\",\"Names\":\"a-very-long-container-name-here\",\"Networks\":\"bridge\",\"Platform\":null,\"Ports\":\"\",\"RunningFor\":\"2 minutes ago\",\"Size\":\"0B\",\"State\":\"created\",\"Status\":\"Created\"}\n{\"Command\":\"\\\"/bin/busybox sh -c …\\\"\",\"CreatedAt\":\"2026-11-24 09:57:19 +0000 UTC\",\"ID\":\"f67cf4393e2e\",\"Image\":\"test:1\",\"Labels\":\"a=1,b=2,com.example.title=Hello \\u003cWorld\\u003e \\u0026 co,empty=\",\"LocalVolumes\":\"1\",\"Mounts\":\"8bcbfc830ac568…\",\"Names\":\"rich\",\"Networks\":\"bridge,n2\",\"Platform\":null,\"Ports\":\"\",\"RunningFor\":\"13 minutes ago\",\"Size\":\"0B\",\"State\":\"created\",\"Status\":\"Created\"}\n{\"Command\":\"\\\"/bin/true\\\"\",\"CreatedAt\":\"2026-11-24 09:53:10 +0000 UTC\",\"ID\":\"9e9bceeb5260\",\"Image\":\"test:1\",\"Labels\":\"role=db\",\"LocalVolumes\":\"0\",\"Mounts\":\"\",\"Names\":\"db\",\"Networks\":\"bridge\",\"Platform\":null,\"Ports\":\"\",\"RunningFor\":\"17 minutes ago\",\"Size\":\"0B\",\"State\":\"created\",\"Status\":\"Created\"}\n{\"Command\":\"\\\"/bin/true a b\\\"\",\"CreatedAt\":\"2026-11-24 09:53:10 +0000 UTC\",\"ID\":\"8f14e2813883\",\"Image\":\"test:1\",\"Labels\":\"com.example.a=x\\u003cy\\u0026z\\u003e,com.example.b=2\",\"LocalVolumes\":\"0\",\"Mounts\":\"\",\"Names\":\"web\",\"Networks\":\"bridge\",\"Platform\":null,\"Ports\":\"\",\"RunningFor\":\"17 minutes ago\",\"Size\":\"0B\",\"State\":\"created\",\"Status\":\"Created\"}\n"],
  [" json", false, "json\njson\njson\njson\n"],
  ["{{.Names}}", false, "a-very-long-container-name-here\nrich\ndb\nweb\n"],
  ["{{.ID}}: {{.Names}} ({{.State}})", false, "736f61572ff6: a-very-long-container-name-here (created)\nf67cf4393e2e: rich (created)\n9e9bceeb5260: db (created)\n8f14e2813883: web (created)\n"],
  ["table {{.Names}}\\t{{.Labels}}\\t{{json .Names}}\\t{{upper .Names}}\\t{{pad .Names 2 2}}|", false, "NAMES                             LABELS                                                NAMES                           NAMES                                 NAMES  |\na-very-long-container-name-here   comb=café,emoji=👍ok,flag=🇯🇵x,tab=a                    b,wide=日本語テキスト,zwj=👨\u200d👩\u200d👧z   \"a-very-long-container-name-here\"   A-VERY-LONG-CONTAINER-NAME-HERE     a-very-long-container-name-here  |\nrich                              a=1,b=2,com.example.title=Hello <World> & co,empty=   \"rich\"                          RICH                                  rich  |\ndb                                role=db                                               \"db\"                            DB                                    db  |\nweb                               com.example.a=x<y&z>,com.example.b=2                  \"web\"                           WEB                                   web  |\n"],
  ["table {{printf \"%-20s\" .Names}}|{{.Image}}", false, "NAMES               |IMAGE\na-very-long-container-name-here|test:1\nrich                |test:1\ndb                  |test:1\nweb                 |test:1\n"],
  ["table {{.Names}}", true, "736f61572ff6\nf67cf4393e2e\n9e9bceeb5260\n8f14e2813883\n"],
  ["", true, "736f61572ff6\nf67cf4393e2e\n9e9bceeb5260\n8f14e2813883\n"],
  ["{{.Names}}", true, "736f61572ff6\nf67cf4393e2e\n9e9bceeb5260\n8f14e2813883\n"],
  ["tablex{{.Names}}", false, "xNAMES\nxa-very-long-container-name-here\nxrich\nxdb\nxweb\n"],
  ["Name: {{.Names}}\\tImage: {{.Image}}\\n--", false, "Name: a-very-long-container-name-here\tImage: test:1\n--\nName: rich\tImage: test:1\n--\nName: db\tImage: test:1\n--\nName: web\tImage: test:1\n--\n"],
  ["table Name: {{.Names}}\\tImage: {{.Image}}\\n--", false, "Name: NAMES   Image: IMAGE\n--\nName: a-very-long-container-name-here   Image: test:1\n--\nName: rich   Image: test:1\n--\nName: db   Image: test:1\n--\nName: web   Image: test:1\n--\n"],
  ["table {{.ID}}\\t{{.Label \"wide\"}}\\t{{.Names}}", false, "CONTAINER ID   wide             NAMES\n736f61572ff6   日本語テキスト   a-very-long-container-name-here\nf67cf4393e2e                    rich\n9e9bceeb5260                    db\n8f14e2813883                    web\n"],
  ["table {{.Names}}\\t{{.Label \"com.example.a\"}}\\t{{.Label \"emoji\"}}|", false, "NAMES                             a         emoji|\na-very-long-container-name-here             👍ok|\nrich                                        |\ndb                                          |\nweb                               x<y&z>    |\n"],
  ["table {{.Names}}\\t{{.Label \"flag\"}}\\t{{.Label \"zwj\"}}\\t{{.Label \"comb\"}}|", false, "NAMES                             flag      zwj       comb|\na-very-long-container-name-here   🇯🇵x        👨\u200d👩\u200d👧z       café|\nrich                                                  |\ndb                                                    |\nweb                                                   |\n"],
  ["table {{.Names}}\\t{{.Label \"tab\"}}\\t{{.State}}", false, "NAMES                             tab       STATE\na-very-long-container-name-here   a         b         created\nrich                                        created\ndb                                          created\nweb                                         created\n"],
  ["table {{.Names}}\\t{{.Command}}\\t{{.State}}", false, "NAMES                             COMMAND                  STATE\na-very-long-container-name-here   \"/bin/true\"              created\nrich                              \"/bin/busybox sh -c …\"   created\ndb                                \"/bin/true\"              created\nweb                               \"/bin/true a b\"          created\n"],
  ["table {{.Names}}\\t{{.Networks}}\\t{{.Mounts}}\\t{{.LocalVolumes}}\\t{{.Platform}}", false, "NAMES                             NETWORKS    MOUNTS            LOCAL VOLUMES   PLATFORM\na-very-long-container-name-here   bridge                        0               <nil>\nrich                              bridge,n2   8bcbfc830ac568…   1               <nil>\ndb                                bridge                        0               <nil>\nweb                               bridge                        0               <nil>\n"],
  ["table {{.Names}}\\t{{.Names}}\\t{{.Names}}", false, "NAMES                             NAMES                             NAMES\na-very-long-container-name-here   a-very-long-container-name-here   a-very-long-container-name-here\nrich                              rich                              rich\ndb                                db                                db\nweb                               web                               web\n"],
  ["table {{.Names}}\\t\\t{{.State}}", false, "NAMES                                       STATE\na-very-long-container-name-here             created\nrich                                        created\ndb                                          created\nweb                                         created\n"],
  ["table {{range $i, $e := split .Names \"-\"}}{{$e}}\\t{{end}}", false, "\na         very      long      container   name      here      \nrich      \ndb        \nweb       \n"],
  ["table {{.Names}}\\t{{split .Names \"-\"}}\\t{{join (split .Names \"-\") \"+\"}}", false, "NAMES                             NAMES                               NAMES\na-very-long-container-name-here   [a very long container name here]   a+very+long+container+name+here\nrich                              [rich]                              rich\ndb                                [db]                                db\nweb                               [web]                               web\n"],
  ["table {{.Names}}\\t{{title .State}}\\t{{lower .Image}}\\t{{truncate .ID 4}}", false, "NAMES                             STATE     IMAGE     CONTAINER ID\na-very-long-container-name-here   Created   test:1    736f\nrich                              Created   test:1    f67c\ndb                                Created   test:1    9e9b\nweb                               Created   test:1    8f14\n"],
  ["table {{.Names}}\\t{{len .Names}}", false, "NAMES                             5\na-very-long-container-name-here   31\nrich                              4\ndb                                2\nweb                               3\n"],
  ["table \\t{{.Names}}", false, "          NAMES\n          a-very-long-container-name-here\n          rich\n          db\n          web\n"],
  ["table {{.Names}}\\t", false, "NAMES                             \na-very-long-container-name-here   \nrich                              \ndb                                \nweb                               \n"],
  ["table {{.Names}}\\n{{.ID}}\\t{{.State}}", false, "NAMES\nCONTAINER ID   STATE\na-very-long-container-name-here\n736f61572ff6   created\nrich\nf67cf4393e2e   created\ndb\n9e9bceeb5260   created\nweb\n8f14e2813883   created\n"],
  ["table {{.Names}}\\t{{json .Labels}}", false, "NAMES                             LABELS\na-very-long-container-name-here   \"comb=café,emoji=👍ok,flag=🇯🇵x,tab=a\\tb,wide=日本語テキスト,zwj=👨\u200d👩\u200d👧z\"\nrich                              \"a=1,b=2,com.example.title=Hello <World> & co,empty=\"\ndb                                \"role=db\"\nweb                               \"com.example.a=x<y&z>,com.example.b=2\"\n"],
  ["table {{.Names}}\\t{{.Label \"com.example.b\"}}\\t{{.Label \"my-label_name\"}}\\t{{.Label \"\"}}", false, "NAMES                             b         my label name   \na-very-long-container-name-here                             \nrich                                                        \ndb                                                          \nweb                               2                         \n"],
  ["table {{.Names}}\\t{{if .Labels}}labelled{{else}}-{{end}}\\t{{.Image}}", false, "NAMES                             labelled   IMAGE\na-very-long-container-name-here   labelled   test:1\nrich                              labelled   test:1\ndb                                labelled   test:1\nweb                               labelled   test:1\n"],
  ["table {{.Names}}\\t{{.CreatedAt}}", false, "NAMES                             CREATED AT\na-very-long-container-name-here   2026-11-24 10:08:19 +0000 UTC\nrich                              2026-11-24 09:57:19 +0000 UTC\ndb                                2026-11-24 09:53:10 +0000 UTC\nweb                               2026-11-24 09:53:10 +0000 UTC\n"],
  ["table {{.ID}}\\t{{.Names}}\\t{{.Label \"x\" | printf \"%5s\"}}|", false, "CONTAINER ID   NAMES                                 x|\n736f61572ff6   a-very-long-container-name-here        |\nf67cf4393e2e   rich                                   |\n9e9bceeb5260   db                                     |\n8f14e2813883   web                                    |\n"],
];

for (const [format, quiet, expected] of psCases) {
  test(`docker ps${quiet ? ' -q' : ''} --format ${JSON.stringify(format)}`, () => {
    assert.equal(outcome(() => formatList(psItems, { format, defaultFormat: psDefault, headers: psHeaders, quiet })), expected);
  });
}

// ---- docker images: template errors ----

/** `docker images --format json`: test:1, x:y and a long repository name, all from docker import. */
const images: Array<Record<string, string>> = [
  {
    Containers: "N/A",
    CreatedAt: "2026-11-24 10:08:38 +0000 UTC",
    CreatedSince: "5 minutes ago",
    Digest: "<none>",
    ID: "23220c06cc69",
    Repository: "registry.example.com/some/very-long-repository-name",
    SharedSize: "N/A",
    Size: "1.98MB",
    Tag: "v1.2.3-alpha",
    UniqueSize: "N/A",
    VirtualSize: "1.982MB"
  },
  {
    Containers: "N/A",
    CreatedAt: "2026-11-24 10:08:38 +0000 UTC",
    CreatedSince: "5 minutes ago",
    Digest: "<none>",
    ID: "c5ecc85b1998",
    Repository: "x",
    SharedSize: "N/A",
    Size: "1.98MB",
    Tag: "y",
    UniqueSize: "N/A",
    VirtualSize: "1.982MB"
  },
  {
    Containers: "N/A",
    CreatedAt: "2026-11-24 09:53:10 +0000 UTC",
    CreatedSince: "20 minutes ago",
    Digest: "<none>",
    ID: "4cc3e0b40daa",
    Repository: "test",
    SharedSize: "N/A",
    Size: "1.98MB",
    Tag: "1",
    UniqueSize: "N/A",
    VirtualSize: "1.982MB"
  }
];
const imageHeaders = { ID: 'IMAGE ID', Repository: 'REPOSITORY', Tag: 'TAG', Digest: 'DIGEST', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', Size: 'SIZE' };

// [FORMAT, expected]: `docker images --format 'FORMAT'`: listing commands exit 1 for parse and execution errors.
const imageErrorCases: Array<[string, Expected]> = [
  ["{{.Nope", {"error":"template parsing error: template: :1: unclosed action","exitCode":1}],
  ["{{.ID.X}}", {"error":"template parsing error: template: :1:5: executing \"\" at <.ID.X>: can't evaluate field X in type string","exitCode":1}],
  ["table {{.Repository}}\\t{{.ID.X}}", {"error":"template parsing error: template: :1:21: executing \"\" at <.ID.X>: can't evaluate field X in type string","exitCode":1}],
  ["table {{.ID}}\\t{{index .ID 99}}", {"error":"template parsing error: template: :1:10: executing \"\" at <index .ID 99>: error calling index: index out of range: 99","exitCode":1}],
  ["{{foo}}", {"error":"template parsing error: template: :1: function \"foo\" not defined","exitCode":1}],
];

for (const [format, expected] of imageErrorCases) {
  test(`docker images --format ${JSON.stringify(format)}`, () => {
    const defaultFormat = 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}';
    assert.equal(outcome(() => formatList(images, { format, defaultFormat, headers: imageHeaders })), expected);
  });
}

test('an empty listing is only the header row for a table, and nothing otherwise', () => {
  // `docker ps --format 'table {{.Names}}'` with no running container printed "NAMES\n"; `docker ps --format '{{.Names}}'`
  // and `docker ps --format json` printed nothing; `docker ps` printed the default header.
  assert.is(formatList([], { format: 'table {{.Names}}', defaultFormat: psDefault, headers: psHeaders }), 'NAMES\n');
  assert.is(formatList([], { format: '{{.Names}}', defaultFormat: psDefault, headers: psHeaders }), '');
  assert.is(formatList([], { format: 'json', defaultFormat: psDefault, headers: psHeaders }), '');
  assert.is(
    formatList([], { defaultFormat: psDefault, headers: psHeaders }),
    'CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES\n',
  );
});

// ---- inspect ----

/** `docker network inspect n3 n2`; n3 made with `docker network create --label 'note=<b>&c' n3`. */
const networks = [
  {
    Name: "n3",
    Id: "9710539b32c211d7734559d5884e3c7d627056303d8b07144151299a6eab14fb",
    Created: "2026-11-24T10:11:24.276500129Z",
    Scope: "local",
    Driver: "bridge",
    EnableIPv6: false,
    IPAM: {
      Driver: "default",
      Options: {},
      Config: [
        {
          Subnet: "172.19.0.0/16",
          Gateway: "172.19.0.1"
        }
      ]
    },
    Internal: false,
    Attachable: false,
    Ingress: false,
    ConfigFrom: {
      Network: ""
    },
    ConfigOnly: false,
    Containers: {},
    Options: {},
    Labels: {
      note: "<b>&c"
    }
  },
  {
    Name: "n2",
    Id: "a3a7c6f154183bc3547a658e082bb2627b49c4c890a1968d7eb3112f98e9c0a7",
    Created: "2026-11-24T09:57:19.411840348Z",
    Scope: "local",
    Driver: "bridge",
    EnableIPv6: false,
    IPAM: {
      Driver: "default",
      Options: {},
      Config: [
        {
          Subnet: "172.18.0.0/16",
          Gateway: "172.18.0.1"
        }
      ]
    },
    Internal: false,
    Attachable: false,
    Ingress: false,
    ConfigFrom: {
      Network: ""
    },
    ConfigOnly: false,
    Containers: {},
    Options: {},
    Labels: {}
  }
];

/**
 * `docker volume inspect vol1 vol2`, made with `docker volume create --label 'note=<b>&c' --label z=1 vol1` and
 * `docker volume create vol2`. Their null Labels and Options are Go nil maps, which templates print as map[].
 */
const volumes = [
  {
    CreatedAt: "2026-11-24T10:11:20Z",
    Driver: "local",
    Labels: {
      note: "<b>&c",
      z: "1"
    },
    Mountpoint: "/var/lib/docker/volumes/vol1/_data",
    Name: "vol1",
    Options: nilMap,
    Scope: "local"
  },
  {
    CreatedAt: "2026-11-24T10:11:20Z",
    Driver: "local",
    Labels: nilMap,
    Mountpoint: "/var/lib/docker/volumes/vol2/_data",
    Name: "vol2",
    Options: nilMap,
    Scope: "local"
  }
];

// [what ran, items, --format, options, expected]. Container, image and network inspect print the daemon's JSON,
// which leaves <, > and & alone; volume inspect marshals in the CLI, which escapes them.
const inspectCases: Array<[string, unknown[], string | undefined, { escapeHTML?: boolean }, Expected]> = [
  ['docker network inspect n3', [networks[0]], undefined, {}, "[\n    {\n        \"Name\": \"n3\",\n        \"Id\": \"9710539b32c211d7734559d5884e3c7d627056303d8b07144151299a6eab14fb\",\n        \"Created\": \"2026-11-24T10:11:24.276500129Z\",\n        \"Scope\": \"local\",\n        \"Driver\": \"bridge\",\n        \"EnableIPv6\": false,\n        \"IPAM\": {\n            \"Driver\": \"default\",\n            \"Options\": {},\n            \"Config\": [\n                {\n                    \"Subnet\": \"172.19.0.0/16\",\n                    \"Gateway\": \"172.19.0.1\"\n                }\n            ]\n        },\n        \"Internal\": false,\n        \"Attachable\": false,\n        \"Ingress\": false,\n        \"ConfigFrom\": {\n            \"Network\": \"\"\n        },\n        \"ConfigOnly\": false,\n        \"Containers\": {},\n        \"Options\": {},\n        \"Labels\": {\n            \"note\": \"<b>&c\"\n        }\n    }\n]\n"],
  ["docker network inspect -f json n3", [networks[0]], 'json', {}, "[{\"Name\":\"n3\",\"Id\":\"9710539b32c211d7734559d5884e3c7d627056303d8b07144151299a6eab14fb\",\"Created\":\"2026-11-24T10:11:24.276500129Z\",\"Scope\":\"local\",\"Driver\":\"bridge\",\"EnableIPv6\":false,\"IPAM\":{\"Driver\":\"default\",\"Options\":{},\"Config\":[{\"Subnet\":\"172.19.0.0/16\",\"Gateway\":\"172.19.0.1\"}]},\"Internal\":false,\"Attachable\":false,\"Ingress\":false,\"ConfigFrom\":{\"Network\":\"\"},\"ConfigOnly\":false,\"Containers\":{},\"Options\":{},\"Labels\":{\"note\":\"<b>&c\"}}]\n"],
  ["docker network inspect -f '{{.Name}} {{.Labels}} {{json .Labels}} {{len .IPAM.Config}} {{(index .IPAM.Config 0).Subnet}}' n3 n2", networks, "{{.Name}} {{.Labels}} {{json .Labels}} {{len .IPAM.Config}} {{(index .IPAM.Config 0).Subnet}}", {},
    "n3 map[note:<b>&c] {\"note\":\"<b>&c\"} 1 172.19.0.0/16\nn2 map[] {} 1 172.18.0.0/16\n"],
  ["docker network inspect -f '{{.Name}}{{if eq .Name \"n2\"}}{{index .Name 9}}{{end}}' n3 n2", networks, "{{.Name}}{{if eq .Name \"n2\"}}{{index .Name 9}}{{end}}", {},
    {"output":"n3\n","error":"template parsing error: template: :1:31: executing \"\" at <index .Name 9>: error calling index: index out of range: 9","exitCode":1}],
  ["docker network inspect -f '{{index .Name 9}}' n3 n2", networks, '{{index .Name 9}}', {},
    {"output":"\n","error":"template parsing error: template: :1:2: executing \"\" at <index .Name 9>: error calling index: index out of range: 9\ntemplate parsing error: template: :1:2: executing \"\" at <index .Name 9>: error calling index: index out of range: 9","exitCode":1}],
  ["docker network inspect -f '{{.Name' n3", [networks[0]], '{{.Name', {}, {"output":"","error":"template parsing error: template: :1: unclosed action","exitCode":64}],
  ['docker network inspect nope (stdout; the "not found" error is not the formatter\'s)', [], undefined, {}, "[]\n"],
  ["docker network inspect -f '{{.Name}}' nope (stdout)", [], '{{.Name}}', {}, "\n"],
  ['docker volume inspect vol1 vol2', volumes, undefined, { escapeHTML: true }, "[\n    {\n        \"CreatedAt\": \"2026-11-24T10:11:20Z\",\n        \"Driver\": \"local\",\n        \"Labels\": {\n            \"note\": \"\\u003cb\\u003e\\u0026c\",\n            \"z\": \"1\"\n        },\n        \"Mountpoint\": \"/var/lib/docker/volumes/vol1/_data\",\n        \"Name\": \"vol1\",\n        \"Options\": null,\n        \"Scope\": \"local\"\n    },\n    {\n        \"CreatedAt\": \"2026-11-24T10:11:20Z\",\n        \"Driver\": \"local\",\n        \"Labels\": null,\n        \"Mountpoint\": \"/var/lib/docker/volumes/vol2/_data\",\n        \"Name\": \"vol2\",\n        \"Options\": null,\n        \"Scope\": \"local\"\n    }\n]\n"],
  ['docker volume inspect -f json vol1 vol2', volumes, 'json', { escapeHTML: true }, "[{\"CreatedAt\":\"2026-11-24T10:11:20Z\",\"Driver\":\"local\",\"Labels\":{\"note\":\"\\u003cb\\u003e\\u0026c\",\"z\":\"1\"},\"Mountpoint\":\"/var/lib/docker/volumes/vol1/_data\",\"Name\":\"vol1\",\"Options\":null,\"Scope\":\"local\"},{\"CreatedAt\":\"2026-11-24T10:11:20Z\",\"Driver\":\"local\",\"Labels\":null,\"Mountpoint\":\"/var/lib/docker/volumes/vol2/_data\",\"Name\":\"vol2\",\"Options\":null,\"Scope\":\"local\"}]\n"],
  ["docker volume inspect -f '{{.Name}} {{.Labels}} {{json .Labels}} {{.Options}} {{index .Labels \"note\"}}' vol1 vol2", volumes, "{{.Name}} {{.Labels}} {{json .Labels}} {{.Options}} {{index .Labels \"note\"}}", { escapeHTML: true },
    "vol1 map[note:<b>&c z:1] {\"note\":\"<b>&c\",\"z\":\"1\"} map[] <b>&c\nvol2 map[] null map[] \n"],
];

for (const [ran, items, format, options, expected] of inspectCases) {
  test(ran, () => {
    assert.equal(outcome(() => formatInspect(items, format, options), true), expected);
  });
}

test.run();
