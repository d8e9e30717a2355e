/**
 * The transform stage: a pipeline's function `LazyFrame → LazyFrame`, or Polars SQL over the
 * table `source`, or nothing. Building the plan can fail at once (a function that throws, SQL
 * that does not parse); most mistakes only show when the plan runs (a missing column), and are
 * classified there (polars/polars-errors.ts) as TRANSFORM_FAILED.
 */
import pl from 'nodejs-polars';
import { FerryError } from '../errors/index.ts';
import { polarsMessage } from '../polars/index.ts';

/** A transform as users write it: a Polars LazyFrame in, a LazyFrame out. */
export type TransformFunction = (frame: pl.LazyDataFrame) => pl.LazyDataFrame;

export type TransformSpec =
  | { readonly kind: 'none' }
  | { readonly kind: 'function'; readonly fn: TransformFunction }
  | { readonly kind: 'sql'; readonly sql: string };

export function applyTransform(spec: TransformSpec, frame: pl.LazyDataFrame, key: string): pl.LazyDataFrame {
  try {
    switch (spec.kind) {
      case 'none':
        return frame;
      case 'function': {
        const result = spec.fn(frame);
        if (!(result instanceof Object) || typeof (result as { collect?: unknown }).collect !== 'function') {
          throw new Error('the transform did not return a LazyFrame (return the frame it was given, changed)');
        }
        return result;
      }
      case 'sql':
        return pl.SQLContext({ source: frame }).execute(spec.sql);
    }
  } catch (error) {
    throw new FerryError('TRANSFORM_FAILED', `${key} could not be transformed: ${polarsMessage(error)}`, { cause: error });
  }
}
