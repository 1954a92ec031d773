import type { ErrorObject, ValidateFunction } from 'ajv'
import type { FastifyError, FastifyRequest } from 'fastify'
import { type CodedError, isCoded, LC_ERR_FORM_INVALID } from '../errors.ts'
import { createAjv, describeAjvError } from '../validation.ts'

/*
 * The form kit (docs/design.md §1, "Forms and lists get homes"): every form the plugin
 * shows is read, checked and re-rendered the same way.
 *
 *   read    a urlencoded body → values as the person typed them (text trimmed, one kind of
 *           line break; ticked boxes as booleans; a checkbox group as a list)
 *   check   each field's rules, every field at once, the first problem of a field beside it
 *   write   the service gets the form's input only when nothing is wrong; a coded refusal it
 *           throws about a field (a name taken) goes beside that field too
 *   answer  a refused form comes back (422) with what was typed and why, nothing changed
 *
 * A capability declares its forms with `defineForm` in its schemas.ts, beside the JSON Schema
 * of the same request, and binds the form partial's fragment beside its view-model.
 */

/** One problem, shown beside the field it is about: `code` goes into data-code, `message` is what a person reads. */
export interface FieldError { code: string, message: string }

/** A form's problems by field; `form` holds one that belongs to no field (a tampered request). */
export type FormErrors<F extends string = string> = Partial<Record<F | 'form', FieldError>>

/** What a form is rendered with: the values as the person typed them, and the problems beside their fields. */
export interface FormState<V extends object = Record<string, string>> {
  values: Partial<V>
  errors: FormErrors<Extract<keyof V, string>>
}

/** A form as posted and read: every value, the problems found, and the input for the service when there are none. */
export interface PostedForm<V extends object, I = V> extends FormState<V> {
  values: V
  input?: I
}

/** What a rule says about a value: nothing (fine), a message (LC_ERR_FORM_INVALID), or a coded error with its own code. */
export type Problem = string | FieldError | CodedError | null | undefined | false

/** A message given where a rule is declared: the text, or a function returning it (or a coded error). */
export type Message = string | (() => string | CodedError)

/** What the kit says when a field declares no message of its own. */
export const formMessages = {
  required: (label: string) => `${label} is required`,
  tooLong: (label: string, max: number | string) => `${label} can be at most ${String(max)} characters; shorten it`,
  choose: (label: string) => `${label}: choose one of the listed options`,
  text: (label: string) => `${label} must be text`,
  invalid: (label: string) => `${label} is not valid; check it and try again`,
  noSuchField: (name: string) => `This form has no field "${name}"; reload the page and try again`
}

// ---------------------------------------------------------------- reading and refusing

/** A urlencoded body as the fields it carries (anything else reads as an empty form). */
export function posted (body: unknown): Record<string, unknown> {
  return (body && typeof body === 'object' ? body : {}) as Record<string, unknown>
}

/**
 * Text as a person typed it, made comparable: one kind of line break (browsers send CRLF from
 * a textarea) and, unless `trim` is false, no spaces around. A value that is not one string
 * (absent, or a field sent twice) reads as ''.
 */
export function readText (value: unknown, { trim = true }: { trim?: boolean } = {}): string {
  if (typeof value !== 'string') return ''
  const text = value.replace(/\r\n?/g, '\n')
  return trim ? text.trim() : text
}

/** A checkbox: ticked when it sent its value (`on` unless the markup says otherwise). */
export function readCheckbox (value: unknown, on = 'on'): boolean {
  return value === on
}

/** A checkbox group (or a multiple select): every ticked value; one ticked box arrives as a string. */
export function readChecked (value: unknown): string[] {
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value]
  return list.filter((v): v is string => typeof v === 'string')
}

/** Characters as a person counts them and as MySQL's utf8mb4 columns do: code points, so an emoji is one. */
export function codePoints (text: string): number {
  return [...text].length
}

/**
 * What a form route's schema refused (the route sets `attachValidation`): the body's refusal
 * is returned, for the form to show with its fields; any other part's (a bad id in the path)
 * is thrown, a 400 as on every route.
 */
export function bodyRefusal (request: FastifyRequest): FastifyError | undefined {
  const invalid = request.validationError as FastifyError | undefined
  if (invalid && invalid.validationContext !== 'body') throw invalid
  return invalid
}

/** A problem as it is shown: a bare message is LC_ERR_FORM_INVALID; a coded error keeps its code. */
export function fieldError (problem: string | FieldError | CodedError): FieldError {
  if (typeof problem === 'string') return fieldError(new LC_ERR_FORM_INVALID(problem))
  return { code: problem.code, message: problem.message }
}

/** Puts a problem beside `field`. A field keeps the first problem found: one thing to fix at a time. */
export function refuse<F extends string> (form: { errors: FormErrors<F> }, field: F | 'form', problem: string | FieldError | CodedError): void {
  form.errors[field] ??= fieldError(problem)
}

/** Whether nothing in the form was refused. */
export function valid (form: { errors: object }): boolean {
  return Object.keys(form.errors).length === 0
}

function say (message: Message): string | CodedError {
  return typeof message === 'function' ? message() : message
}

// ---------------------------------------------------------------- fields

/** One field of a form: how its value is read from the body and the rules it must meet. */
export interface FieldSpec<T> {
  /** Named in the kit's messages ("Name is required"); the field's name when not given. */
  readonly label?: string
  /** Whether the form's JSON Schema checks this field on its own (see `SchemaCheck`). */
  readonly schemaChecked: boolean
  read (value: unknown): T
  /** The first problem with the value, or nothing; `values` is the whole form, for rules across fields. */
  check (value: T, values: Readonly<Record<string, unknown>>, label: string): Problem
}

type Rule<T> = (value: T, values: Readonly<Record<string, unknown>>) => Problem

export interface TextRules {
  label?: string
  /** Refuse an empty value: `true` for the kit's message, or the message to show. */
  required?: boolean | Message
  /** The most characters allowed, counted in code points. */
  max?: number
  /** Said over `max`: the kit's message unless given; a function gets the limit and the length typed. */
  tooLong?: string | ((max: number, length: number) => string | CodedError)
  /** A shape a filled-in value must have, and what is said when it has not (`invalid` by default). */
  pattern?: RegExp
  mismatch?: Message
  /** Any other rule, run last on a value that passed the others. */
  check?: Rule<string>
  /** Keep the spaces around the value (it was carried, not typed). Text is trimmed by default. */
  trim?: boolean
}

/** A text input or a textarea: its text trimmed, CRLF as LF, checked for presence, length and shape. */
export function text (rules: TextRules = {}): FieldSpec<string> {
  return {
    label: rules.label,
    schemaChecked: true,
    read: (value) => readText(value, { trim: rules.trim ?? true }),
    check (value, values, label) {
      if (value === '') {
        if (rules.required === undefined || rules.required === false) return null
        return rules.required === true ? formMessages.required(label) : say(rules.required)
      }
      const length = codePoints(value)
      if (rules.max !== undefined && length > rules.max) {
        const tooLong = rules.tooLong
        return tooLong === undefined ? formMessages.tooLong(label, rules.max) : typeof tooLong === 'string' ? tooLong : tooLong(rules.max, length)
      }
      if (rules.pattern && !rules.pattern.test(value)) return rules.mismatch === undefined ? formMessages.invalid(label) : say(rules.mismatch)
      return rules.check?.(value, values) ?? null
    }
  }
}

/** A value the form carries in a hidden input: read as sent, never trimmed; `check` may still refuse a tampered one. */
export function hidden (check?: Rule<string>): FieldSpec<string> {
  return text({ trim: false, check })
}

/** A checkbox: true when ticked. It has no message of its own: a value other than its own is a tampered request. */
export function checkbox (on = 'on'): FieldSpec<boolean> {
  return { schemaChecked: false, read: (value) => readCheckbox(value, on), check: () => null }
}

export interface SelectRules {
  label?: string
  /** Refuse no choice: `true` for the kit's message, or the message to show. */
  required?: boolean | Message
  /** Said for a value not in the list (`choose` by default). */
  unknown?: Message
  check?: Rule<string>
}

/**
 * A select or a set of radio buttons: one of `options` (a list, or one worked out from the
 * other values). Without options the value is only read: the form's JSON Schema, or a service
 * that knows the list (a department), judges it.
 */
export function select (options?: readonly string[] | ((values: Readonly<Record<string, unknown>>) => readonly string[]), rules: SelectRules = {}): FieldSpec<string> {
  return {
    label: rules.label,
    schemaChecked: true,
    read: (value) => readText(value),
    check (value, values, label) {
      if (value === '') {
        if (rules.required === undefined || rules.required === false) return null
        return rules.required === true ? formMessages.required(label) : say(rules.required)
      }
      const list = typeof options === 'function' ? options(values) : options
      if (list && !list.includes(value)) return rules.unknown === undefined ? formMessages.choose(label) : say(rules.unknown)
      return rules.check?.(value, values) ?? null
    }
  }
}

export interface CheckboxesRules {
  label?: string
  /** The values a box may have; others are refused with `unknown` (`choose` by default). */
  options?: readonly string[]
  unknown?: Message
  /** Refuse none ticked: `true` for the kit's message, or the message to show. */
  required?: boolean | Message
  /** The most boxes that may be ticked, and what is said over it. */
  max?: number
  tooMany?: Message
  check?: Rule<string[]>
}

/** A checkbox group (or a multiple select): the ticked values, each once, in the order sent. */
export function checkboxes (rules: CheckboxesRules = {}): FieldSpec<string[]> {
  return {
    label: rules.label,
    schemaChecked: true,
    read: (value) => [...new Set(readChecked(value))],
    check (value, values, label) {
      if (value.length === 0) {
        if (rules.required === undefined || rules.required === false) return null
        return rules.required === true ? formMessages.required(label) : say(rules.required)
      }
      if (rules.options && value.some((v) => !rules.options!.includes(v))) return rules.unknown === undefined ? formMessages.choose(label) : say(rules.unknown)
      if (rules.max !== undefined && value.length > rules.max) return rules.tooMany === undefined ? formMessages.invalid(label) : say(rules.tooMany)
      return rules.check?.(value, values) ?? null
    }
  }
}

// ---------------------------------------------------------------- forms

export type Fields = Record<string, FieldSpec<unknown>>
export type ValuesOf<S extends Fields> = { [K in keyof S]: S[K] extends FieldSpec<infer T> ? T : never }

/**
 * A form whose route validates the body with a JSON Schema too (and attaches, not throws, its
 * validation error): each schema-checked field is validated on its own, beside `sample`'s valid
 * values for the others, because Ajv stops at the first error and a form shows them all. When
 * every field passes, the whole body is validated once more, and what that finds (a field the
 * form does not have) goes above the form, in `errors.form`. The fields' own rules run after
 * the schema, on the fields it passed.
 */
export interface SchemaCheck {
  schema: { $id: string }
  /** Valid values of the schema's required fields. */
  sample: Record<string, unknown>
  /** How an Ajv error reads beside `field` (named `label`), or above the form when `field` is null. */
  describe?: (error: ErrorObject, field: string | null, label: string) => string
}

export interface FormOptions<V, I> {
  /** The service's input, made from values that passed every rule (the values themselves when not given). */
  input?: (values: V) => I
  schema?: SchemaCheck
}

export interface Form<V extends object, I> {
  readonly fields: Fields
  /** Reads and checks a posted body: the values, every problem, and the input when there is none. */
  read (body: unknown): PostedForm<V, I>
  /** The form to render before anything is posted: empty, or filled from what is stored. */
  state (values?: Partial<V>): FormState<V>
}

/** The values a declared form reads: `FormState<FormValues<typeof eventForm>>` is the state its partial renders. */
export type FormValues<F> = F extends Form<infer V, unknown> ? V : never

/** The kit's wording of a schema's refusal, for forms that give none of their own. */
export function describeSchemaError (error: ErrorObject, field: string | null, label: string): string {
  if (field === null) {
    return error.keyword === 'additionalProperties'
      ? formMessages.noSuchField(String((error.params as { additionalProperty: string }).additionalProperty))
      : describeAjvError(error, 'form')
  }
  const p = error.params as Record<string, unknown>
  switch (error.keyword) {
    case 'required': return formMessages.required(label)
    case 'maxLength': return formMessages.tooLong(label, String(p.limit))
    case 'enum': return formMessages.choose(label)
    case 'type': return formMessages.text(label)
    default: return formMessages.invalid(label)
  }
}

const ajv = createAjv()
const validators = new Map<string, ValidateFunction>()
function validator (schema: { $id: string }): ValidateFunction {
  let v = validators.get(schema.$id)
  if (!v) validators.set(schema.$id, v = ajv.compile(schema))
  return v
}

function read (fields: Fields, options: FormOptions<never, unknown> & { partial?: boolean }, body: unknown): PostedForm<Record<string, unknown>, unknown> {
  const raw = posted(body)
  const names = Object.keys(fields).filter((name) => !options.partial || raw[name] !== undefined)
  const values: Record<string, unknown> = {}
  for (const name of names) values[name] = fields[name]!.read(raw[name])
  const form: PostedForm<Record<string, unknown>, unknown> = { values, errors: {} }
  const label = (name: string): string => fields[name]!.label ?? name
  // The schema first, each field on its own and then the whole body, as the route would;
  // then each field's own rules, so a form shows every problem at once.
  const check = options.schema
  if (check) {
    const validate = validator(check.schema)
    const describe = check.describe ?? describeSchemaError
    for (const name of names.filter((n) => fields[n]!.schemaChecked)) {
      const candidate: Record<string, unknown> = { ...check.sample }
      if (raw[name] === undefined) delete candidate[name]
      else candidate[name] = raw[name]
      if (!validate(candidate)) refuse(form, name, describe(validate.errors![0]!, name, label(name)))
    }
    if (valid(form) && !validate(raw)) refuse(form, 'form', describe(validate.errors![0]!, null, 'form'))
  }
  for (const name of names) {
    if (form.errors[name]) continue
    const problem = fields[name]!.check(values[name], values, label(name))
    if (problem) refuse(form, name, problem)
  }
  if (valid(form)) form.input = options.input ? (options.input as (v: unknown) => unknown)(values) : values
  return form
}

/**
 * Declares a form once: its fields in the order they are checked, and how valid values become
 * the service's input. With `partial`, a field the body does not carry is neither read nor
 * checked (one row's switch or its limit, posted alone), and its value is missing.
 */
export function defineForm<S extends Fields, I = Partial<ValuesOf<S>>> (fields: S, options: FormOptions<Partial<ValuesOf<S>>, I> & { partial: true }): Form<Partial<ValuesOf<S>>, I>
export function defineForm<S extends Fields, I = ValuesOf<S>> (fields: S, options?: FormOptions<ValuesOf<S>, I> & { partial?: false }): Form<ValuesOf<S>, I>
export function defineForm (fields: Fields, options: FormOptions<never, unknown> & { partial?: boolean } = {}): Form<object, unknown> {
  return {
    fields,
    read: (body) => read(fields, options, body),
    state: (values = {}) => ({ values, errors: {} })
  }
}

// ---------------------------------------------------------------- writing

/** Which field a service's coded refusal belongs beside: by code, or worked out from the error. */
export type Beside<F extends string = string> = Readonly<Partial<Record<string, F | 'form'>>> | ((err: CodedError) => string | undefined)

/**
 * The write a valid form asks for: runs `write` with its input and returns what it returns.
 * A refused form returns undefined: one already invalid (nothing is written), or one `write`
 * refused with a coded error that `beside` places by a field, where it is set so the form
 * re-renders with it. Any other error is thrown on, to the error handler.
 */
export async function attempt<V extends object, I, R extends NonNullable<unknown>> (
  form: PostedForm<V, I>, write: (input: I) => Promise<R>, beside: Beside<Extract<keyof V, string>> = {}
): Promise<R | undefined> {
  if (!valid(form) || form.input === undefined) return undefined
  try {
    return await write(form.input)
  } catch (err) {
    const field = isCoded(err) ? (typeof beside === 'function' ? beside(err) : beside[err.code]) : undefined
    if (field === undefined) throw err
    refuse(form as { errors: FormErrors }, field, err as CodedError)
    return undefined
  }
}
