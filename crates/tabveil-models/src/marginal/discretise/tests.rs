use super::*;

fn numeric(grid: Grid, nullable: bool) -> Coding {
    Coding {
        column: 0,
        name: "x".into(),
        cells: FineCells::Numeric { grid },
        nullable,
    }
}

#[test]
fn small_integer_ranges_get_one_cell_per_value() {
    let g = Grid::new(15.0, 90.0, true, 128);
    assert_eq!(
        g,
        Grid::Integers {
            first: 15.0,
            count: 76
        }
    );
    assert_eq!(g.cell_of(15.0), 0);
    assert_eq!(g.cell_of(90.0), 75);
    assert_eq!(g.range(3), CellRange::Point(18.0));
    assert!(g.is_integer() && g.is_valid());
    // Too wide for the resolution: bins with exact bounds.
    let g = Grid::new(0.0, 1_000.0, true, 16);
    assert!(matches!(
        g,
        Grid::Bins {
            bins: 16,
            zero: false,
            integer: true,
            ..
        }
    ));
}

#[test]
fn bins_keep_points_at_the_bounds_and_at_zero() {
    let g = Grid::new(-5.0, 15.0, false, 4); // bins of width 5: [-5,0) [0,5) [5,10) [10,15)
    assert_eq!(g.len(), 4 + 2 + 1);
    assert_eq!(g.cell_of(-5.0), 0);
    assert_eq!(g.range(0), CellRange::Point(-5.0));
    assert_eq!(g.cell_of(-2.0), 1);
    assert_eq!(g.cell_of(0.0), 3);
    assert_eq!(g.range(3), CellRange::Point(0.0));
    assert_eq!(g.cell_of(0.5), 2);
    assert_eq!(g.range(2), CellRange::Interval(0.0, 5.0));
    assert_eq!(g.cell_of(7.0), 4);
    assert_eq!(g.range(4), CellRange::Interval(5.0, 10.0));
    assert_eq!(g.cell_of(15.0), 6);
    assert_eq!(g.range(6), CellRange::Point(15.0));
    // Every value's cell stands for a range that holds it.
    for i in 0..=200 {
        let x = -5.0 + 0.1 * i as f64;
        match g.range(g.cell_of(x)) {
            CellRange::Point(v) => assert_eq!(v, x),
            CellRange::Interval(lo, hi) => assert!(lo <= x && x < hi, "{x}"),
        }
    }
    let no_zero = Grid::new(0.0, 10.0, false, 5);
    assert_eq!(no_zero.len(), 7);
    assert!(no_zero.is_point(0) && no_zero.is_point(6) && !no_zero.is_point(3));
}

#[test]
fn categories_merge_only_when_small_and_several() {
    let coding = Coding {
        column: 0,
        name: "c".into(),
        cells: FineCells::Categories {
            labels: ["a", "b", "c", "d"].map(String::from).to_vec(),
        },
        nullable: true,
    };
    let rule = GroupingRule {
        small: 10.0,
        mass_per_group: 1.0,
        max_groups: 8,
        keep_categories: false,
    };
    let g = group_cells(&coding, &[100.0, 3.0, 50.0, 0.0, 2.0], &rule);
    // b, d and the null cell merge; a and c stay.
    assert_eq!(g.groups, 3);
    assert_eq!(g.group_of, vec![0, 1, 2, 1, 1]);
    let g = group_cells(&coding, &[100.0, 3.0, 50.0, 40.0, 20.0], &rule);
    assert_eq!(g, Grouping::identity(5));
    let keep = GroupingRule {
        keep_categories: true,
        ..rule
    };
    assert_eq!(
        group_cells(&coding, &[100.0, 3.0, 50.0, 0.0, 2.0], &keep),
        Grouping::identity(5)
    );
}

#[test]
fn numeric_cells_group_by_mass_with_kept_points() {
    let coding = numeric(Grid::new(0.0, 10.0, false, 10), true);
    // Point 0 heavy (kept), interior mass 40 in 4 groups of ~10, point 10 empty (merged),
    // null cell last.
    let mut counts = vec![0.0; coding.len()];
    counts[0] = 500.0;
    for c in counts.iter_mut().take(11).skip(1) {
        *c = 4.0;
    }
    counts[12] = 7.0;
    let rule = GroupingRule {
        small: 5.0,
        mass_per_group: 10.0,
        max_groups: 8,
        keep_categories: false,
    };
    let g = group_cells(&coding, &counts, &rule);
    // The point cell, 4 interval groups, the null cell.
    assert_eq!(g.groups, 6);
    assert_eq!(g.group_of[0], 0);
    assert_eq!(g.group_of[12] as usize, g.groups - 1);
    // Groups follow the values' order.
    for w in g.group_of[1..12].windows(2) {
        assert!(w[0] <= w[1]);
    }
    let members: Vec<usize> = g.members(0).collect();
    assert_eq!(members, vec![0]);
    // No mass at all: still a valid grouping.
    let g = group_cells(&coding, &vec![0.0; coding.len()], &rule);
    assert!(g.groups >= 1 && g.group_of.len() == coding.len());
}

#[test]
fn the_normal_quantile_is_accurate() {
    for (p, z) in [
        (0.5, 0.0),
        (0.05, 1.644_853_626_951_472_2),
        (1e-6, 4.753_424_308_822_899),
    ] {
        assert!((upper_normal_quantile(p) - z).abs() < 1e-7, "{p}");
    }
}

#[test]
fn denoising_trims_noise_beyond_the_data() {
    let coding = numeric(Grid::new(0.0, 100.0, false, 20), false);
    // Data in cells 8..=12 (50 each), noise elsewhere, a noise spike of 2.5 σ in the tail,
    // a low cell inside the bulk.
    let mut y = vec![0.3; coding.len()];
    for c in y.iter_mut().take(13).skip(8) {
        *c = 50.0;
    }
    y[2] = 2.5;
    y[10] = 0.5;
    let w = denoise(&coding, &y, 1.0, 1.0);
    // Far cells weigh nothing (the noise spike included); the smoothing spreads the bulk two
    // cells out, and the bulk is widened by the kernel's reach (two more cells), and the low
    // cell inside it is filled.
    assert!(w.iter().take(4).all(|&v| v == 0.0), "{w:?}");
    assert!(w.iter().skip(17).all(|&v| v == 0.0), "{w:?}");
    assert!(w[10] > 20.0 && w[6] > 0.0 && w[14] > 0.0, "{w:?}");
    // Without noise, the counts are the weights.
    let w = denoise(&coding, &y, 0.0, 1.0);
    assert_eq!(w[2], 2.5);
    // Categories: a hard floor.
    let cat = Coding {
        column: 0,
        name: "c".into(),
        cells: FineCells::Categories {
            labels: vec!["a".into(), "b".into()],
        },
        nullable: false,
    };
    assert_eq!(denoise(&cat, &[5.0, 0.5], 1.0, 1.0), vec![5.0, 0.0]);
}
