use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use tabveil_data::ColumnSchema;

use super::*;
use crate::marginal::discretise::Grid;

fn schema() -> Schema {
    Schema::new(
        "t",
        vec![
            ColumnSchema::integer("age", Some(18.0), Some(90.0)),
            ColumnSchema::continuous("gain", Some(0.0), Some(1000.0)).nullable(),
            ColumnSchema::categorical("c", ["x", "y"]).nullable(),
            ColumnSchema::id("id"),
        ],
    )
    .unwrap()
}

fn codings() -> Vec<Coding> {
    vec![
        Coding {
            column: 0,
            name: "age".into(),
            cells: FineCells::Numeric {
                grid: Grid::new(18.0, 90.0, true, 128),
            },
            nullable: false,
        },
        Coding {
            column: 1,
            name: "gain".into(),
            cells: FineCells::Numeric {
                grid: Grid::new(0.0, 1000.0, false, 10),
            },
            nullable: true,
        },
        Coding {
            column: 2,
            name: "c".into(),
            cells: FineCells::Categories {
                labels: vec!["x".into(), "y".into()],
            },
            nullable: true,
        },
    ]
}

#[test]
fn every_fine_cell_decodes_inside_itself() {
    let codings = codings();
    let schema = schema();
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    // Identity groupings: each row's model cell is its fine cell.
    let decoders: Vec<AttributeDecoder> = codings
        .iter()
        .map(|c| AttributeDecoder::new(&Grouping::identity(c.len()), &vec![1.0; c.len()]))
        .collect();
    let n = 200;
    let cells: Vec<Vec<u32>> = codings
        .iter()
        .map(|c| (0..n).map(|r| (r % c.len()) as u32).collect())
        .collect();
    let table = decode_table(
        &schema,
        &codings,
        &decoders,
        &cells,
        &[None, None, None],
        &mut rng,
    )
    .unwrap();
    assert_eq!(table.n_rows(), n);
    let age = table.column("age").unwrap().as_continuous().unwrap();
    let gain = table.column("gain").unwrap();
    let c = table.column("c").unwrap();
    for (r, &a) in age.iter().enumerate() {
        // Integers decode to themselves.
        assert_eq!(a, 18.0 + (r % 73) as f64);
        let f = r % codings[1].len();
        if Some(f) == codings[1].null_cell() {
            assert!(gain.is_null(r));
        } else {
            let grid = codings[1].grid().unwrap();
            let v = gain.as_continuous().unwrap()[r];
            assert_eq!(grid.cell_of(v), f, "row {r}: {v}");
        }
        let f = r % 3;
        assert_eq!(c.is_null(r), f == 2);
        if f < 2 {
            assert_eq!(c.as_categorical().unwrap()[r] as usize, f);
        }
    }
    // The point cell at the lower bound decodes to exactly the bound.
    assert!(gain.as_continuous().unwrap().contains(&0.0));
}

#[test]
fn groups_draw_their_fine_cells_by_weight() {
    let g = Grouping {
        group_of: vec![0, 0, 0, 1],
        groups: 2,
    };
    let d = AttributeDecoder::new(&g, &[0.0, 3.0, 1.0, 5.0]);
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut hits = [0usize; 4];
    for _ in 0..4_000 {
        hits[d.draw(0, &mut rng)] += 1;
    }
    assert_eq!(hits[0], 0);
    assert_eq!(hits[3], 0);
    // 3 : 1 within ±5 σ (binomial, p = 0.75, n = 4000: σ ≈ 27).
    assert!((hits[1] as f64 - 3_000.0).abs() < 140.0, "{hits:?}");
    assert_eq!(d.draw(1, &mut rng), 3);
    // All-zero weights: uniform over the members.
    let u = AttributeDecoder::new(&g, &[0.0; 4]);
    let mut seen = [false; 3];
    for _ in 0..200 {
        seen[u.draw(0, &mut rng)] = true;
    }
    assert!(seen.iter().all(|s| *s));
}

#[test]
fn forced_numbers_are_exact() {
    let codings = codings();
    let schema = schema();
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let decoders: Vec<AttributeDecoder> = codings
        .iter()
        .map(|c| AttributeDecoder::new(&Grouping::identity(c.len()), &vec![1.0; c.len()]))
        .collect();
    let cells: Vec<Vec<u32>> = vec![vec![0; 5], vec![3; 5], vec![1; 5]];
    let grid = codings[1].grid().unwrap();
    let forced = [None, Some(Forced::Number(grid.cell_of(123.5), 123.5)), None];
    let t = decode_table(&schema, &codings, &decoders, &cells, &forced, &mut rng).unwrap();
    assert!(
        t.column("gain")
            .unwrap()
            .as_continuous()
            .unwrap()
            .iter()
            .all(|&v| v == 123.5)
    );
}
