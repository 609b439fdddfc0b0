// Every shape schemars emits for serde types, as generated into ./shapes, checked with tsc.
import type { Adjacent, AllOutput, Api, Color, External, LoginOutput, Methods, SessionOutput, Maps, Optionals, Point, Renamed, Shape, Tree, Untagged } from "./shapes/api";

declare const api: Api;

export const color: Color = "Red";
// @ts-expect-error: not a variant
export const badColor: Color = "Blue";

export const circle: Shape = { type: "Circle", r: 1 };
// @ts-expect-error: internally tagged: the fields follow the tag
export const badCircle: Shape = { type: "Circle", side: 1 };

export const external: External[] = [{ A: 1 }, { B: { x: "y" } }, "C"];
// @ts-expect-error: externally tagged: the newtype's type
export const badExternal: External = { A: "no" };

export const adjacent: Adjacent[] = [{ t: "Num", c: 1 }, { t: "Text", c: "x" }];
// @ts-expect-error: adjacently tagged: content follows the tag
export const badAdjacent: Adjacent = { t: "Num", c: "x" };

export const untagged: Untagged[] = [1, "x", [1, 2]];
// @ts-expect-error: untagged: none of the variants
export const badUntagged: Untagged = true;

export const optionals: Optionals[] = [{ required: "x" }, { required: "x", optional: null, nullable: 3 }];
// @ts-expect-error: a required field is required
export const badOptionals: Optionals = { optional: "x" };

export const maps: Maps = { counts: { a: 1 }, tree: { k: ["v"] } };
// @ts-expect-error: map values are typed
export const badMaps: Maps = { counts: { a: "1" }, tree: {} };

export const point: Point = [1, 2];
// @ts-expect-error: a tuple has its length
export const badPoint: Point = [1];

export const tree: Tree = { name: "root", children: [{ name: "leaf", children: [] }] };
// @ts-expect-error: recursive types are checked all the way down
export const badTree: Tree = { name: "root", children: [{ name: 1, children: [] }] };

export const renamed: Renamed = { firstName: "Ada" };
// @ts-expect-error: serde's renames are what the wire carries
export const badRenamed: Renamed = { first_name: "Ada" };

type Login = Methods["shapes.login"]["params"];
export const login: Login = { user: "u", password: "p" };
// The output form has no password (skip_serializing): it is its own type.
export const loginOut: LoginOutput = { user: "u" };
// @ts-expect-error: the input form needs the password
export const badLogin: Login = { user: "u" };
// A type that refers to LoginOutput in its output form is an output form of its own.
export const session: SessionOutput = { login: { user: "u" } };
// @ts-expect-error: the output form has no password to send
export const badSession: SessionOutput = { login: { user: "u", password: "p" } };

type All = Methods["shapes.echo_all"]["params"];

export async function calls(all: All): Promise<void> {
  const back: AllOutput = await api.invoke("shapes.echo_all", all);
  // serde always writes an Option field, so the output form has it even when it is null.
  const nullable: number | null = back.optionals.nullable;
  const pair: string = await api.invoke("shapes.pair", ["x", 2]);
  const sum: number = await api.invoke("shapes.sum", [1, 2, 3]);
  const none: Tree | null = await api.invoke("shapes.none");
  const out: LoginOutput = await api.invoke("shapes.login", { user: "u", password: "p" });
  api.notify("shapes.note", { firstName: "Ada" });
  api.on("shapes.tree", (t) => console.log(t.children.length));
  console.log(back, nullable, pair, sum, none, out);
  // @ts-expect-error: a tuple method takes its params by position only
  await api.invoke("shapes.pair", { arg0: "x", arg1: 2 });
  // @ts-expect-error: a Vec method takes numbers
  await api.invoke("shapes.sum", ["1"]);
}
