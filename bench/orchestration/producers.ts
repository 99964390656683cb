// The figures of the table, in its order. A producer of further rows (e.g. `ferry worker` launch
// time and idle RSS from the build) is added here: it gets the BenchContext and returns FigureRows.
import type { FigureProducer } from './context';
import type { FigureName } from './scale';
import { manyAtOnceFigures } from './figures/many-at-once';
import { onePromotionFigures } from './figures/one-promotion';
import { waitingFigures } from './figures/waiting';

export const PRODUCERS: Record<FigureName, FigureProducer> = { one: onePromotionFigures, 'at-once': manyAtOnceFigures, waiting: waitingFigures };
